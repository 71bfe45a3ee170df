package dev.herald.server.notify;

import dev.herald.protocol.Frames;
import dev.herald.server.element.ElementJson;
import dev.herald.server.store.Change;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * Renders each distinct event frame once per change: thousands of subscribers on the same base
 * URL and subscription id share one byte array. Used by one thread at a time (the feed thread
 * for live changes; each replay has its own).
 */
final class FrameCache {
  private record Key(String base, FrameStyle style) {}

  /** Renders the status a status change leads to, as the REST status of the element. */
  @FunctionalInterface
  interface StatusRenderer {
    String render(Change change, String base, String of);
  }

  private final StatusRenderer statuses;

  FrameCache(StatusRenderer statuses) {
    this.statuses = statuses;
  }

  private Change current;
  private final Map<String, String> eventObjects = new HashMap<>();
  /** A status change's status, by base and engine/node: read once, whatever the subscription ids. */
  private final Map<String, String> statusObjects = new HashMap<>();
  private final Map<Key, byte[]> frames = new HashMap<>();

  private String lastBase;
  private FrameStyle lastStyle;
  private byte[] lastFrame;

  byte[] render(Change c, String base, Subscription ch) {
    if (c != current) {
      current = c;
      eventObjects.clear();
      statusObjects.clear();
      frames.clear();
      lastBase = null;
    }
    // Most channels share a base (interned) and a style: skip the map for a repeat.
    if (base == lastBase && ch.style.equals(lastStyle)) {
      return lastFrame;
    }
    byte[] f = frames.computeIfAbsent(new Key(base, ch.style), k -> encode(c, k));
    lastBase = base;
    lastStyle = ch.style;
    lastFrame = f;
    return f;
  }

  private byte[] encode(Change c, Key k) {
    if (k.style().statusOf() != null) {
      String of = k.style().statusOf();
      String status = statusObjects.computeIfAbsent(k.base() + " " + of, x -> statuses.render(c, k.base(), of));
      return ("{\"status\":{\"status\":" + status + "},\"subscription_id\":" + k.style().subscriptionId() + "}")
          .getBytes(StandardCharsets.UTF_8);
    }
    String obj = eventObjects.computeIfAbsent(k.base(), b ->
        Frames.eventObject(c.action().wire(), ElementJson.href(b, c.parent(), c.type(), c.elementKey())));
    FrameStyle s = k.style();
    String text;
    if (s.legacy()) {
      text = s.withSeq() ? Frames.legacyEvent(obj, s.subscriptionId(), c.seq(), c.atMillis())
          : Frames.legacyEvent(obj, s.subscriptionId());
    } else {
      text = s.withSeq() ? Frames.event(obj, s.subscriptionId(), c.seq(), c.atMillis())
          : Frames.event(obj, s.subscriptionId());
    }
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
