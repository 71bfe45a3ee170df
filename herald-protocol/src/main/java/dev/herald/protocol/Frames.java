package dev.herald.protocol;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The frames the server sends on the notification socket. Event frames are built by string
 * concatenation on the hot path (the parts are JSON-escaped once per change).
 */
public final class Frames {
  private Frames() {}

  /** SMC's acknowledgement: smc-python only tests that {@code success} is present. */
  public static String subscribed(String context, long id) {
    return Json.write(Json.object().put("success", "Subscribed for notifications")
        .put("context", context).put("subscription_id", id));
  }

  /**
   * The acknowledgement of a subscription with the seq extension: {@code seq} is the position
   * the channel starts after, so a client knows where to resume before any event arrived.
   */
  public static String subscribed(String context, long id, long seq) {
    return Json.write(Json.object().put("success", "Subscribed for notifications")
        .put("context", context).put("subscription_id", id).put("seq", seq));
  }

  public static String unsubscribed(long id) {
    return Json.write(Json.object().put("success", "Unsubscribed").put("subscription_id", id));
  }

  /**
   * An error answer. It uses SMC's {@code failure} key: smc-python raises on it, which is what
   * a client that sent a bad request should see. The connection stays open.
   */
  public static String failure(String reason) {
    return Json.write(Json.object().put("failure", reason));
  }

  public static String failure(String reason, long subscriptionId) {
    return Json.write(Json.object().put("failure", reason).put("subscription_id", subscriptionId));
  }

  /** A resume from a position the server never reached (it is not the server the seq came from). */
  public static String sinceBeyondHead(long since, long head) {
    return Json.write(Json.object().put("failure", "since " + since
            + " is beyond the newest change (seq " + head + "): this server never had it.")
        .put("code", ServerMessage.Failure.SINCE_BEYOND_HEAD).put("head_seq", head));
  }

  /** Resume refused: the requested position is older than the retained history. */
  public static String historyExpired(String context, long since, long oldest, long head) {
    ObjectNode o = Json.object();
    o.putObject("history_expired").put("since", since).put("oldest_seq", oldest).put("head_seq", head);
    o.put("context", context);
    return Json.write(o);
  }

  /** The event object {@code {"type":T,"element":HREF}}, rendered once per change and base. */
  public static String eventObject(String type, String href) {
    return "{\"type\":" + quote(type) + ",\"element\":" + quote(href) + "}";
  }

  /** {@code {"event":{…},"subscription_id":N}} (API versions above 6.5). */
  public static String event(String eventObject, long subscriptionId) {
    return "{\"event\":" + eventObject + ",\"subscription_id\":" + subscriptionId + "}";
  }

  /** The same with Herald's {@code seq} extension: the change's seq and commit time. */
  public static String event(String eventObject, long subscriptionId, long seq, long atMillis) {
    return "{\"event\":" + eventObject + ",\"subscription_id\":" + subscriptionId + ",\"seq\":" + seq
        + ",\"at\":\"" + java.time.Instant.ofEpochMilli(atMillis) + "\"}";
  }

  /** {@code {"events":[{…}],"subscription_id":N}} (API version 6.5 and lower). */
  public static String legacyEvent(String eventObject, long subscriptionId) {
    return "{\"events\":[" + eventObject + "],\"subscription_id\":" + subscriptionId + "}";
  }

  public static String legacyEvent(String eventObject, long subscriptionId, long seq, long atMillis) {
    return "{\"events\":[" + eventObject + "],\"subscription_id\":" + subscriptionId + ",\"seq\":" + seq
        + ",\"at\":\"" + java.time.Instant.ofEpochMilli(atMillis) + "\"}";
  }

  /** Every change up to {@code seq} that matches the channel was sent before this frame. */
  public static String progress(long subscriptionId, long seq) {
    return "{\"progress\":{\"seq\":" + seq + "},\"subscription_id\":" + subscriptionId + "}";
  }

  public static String heartbeat(long headSeq) {
    return "{\"heartbeat\":{\"seq\":" + headSeq + "}}";
  }

  static String quote(String s) {
    return Json.write(Json.mapper().getNodeFactory().textNode(s));
  }
}
