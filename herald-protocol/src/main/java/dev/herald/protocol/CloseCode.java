package dev.herald.protocol;

import java.util.Optional;

/**
 * The close codes the server sends on the notification socket, each with its reason text. The
 * server closes with {@link #code()} and a reason that starts with {@link #reason()}; a client
 * recognises a close with {@link #of(int, String)}.
 */
public enum CloseCode {
  /** The session logged out or expired: log in again before reconnecting. */
  SESSION_ENDED(1000, "session ended"),
  /** The server stops; reconnect (to another node) and resume. */
  SHUTTING_DOWN(1001, "server shutting down"),
  /** A resume could not be completed; resume again (the answer may then be history_expired). */
  REPLAY_FAILED(1011, "replay failed; resume again"),
  /** The connection's outbox overflowed; the reason goes on with {@code ; delivered up to seq=N}. */
  SLOW_CONSUMER(4001, "slow consumer"),
  /** The server was reset to its fresh state: positions from before it mean nothing now. */
  RESET(4002, "server reset");

  private final int code;
  private final String reason;

  CloseCode(int code, String reason) {
    this.code = code;
    this.reason = reason;
  }

  public int code() {
    return code;
  }

  public String reason() {
    return reason;
  }

  /** The slow-consumer reason with the highest seq written to the socket. */
  public static String slowConsumerReason(long deliveredSeq) {
    return SLOW_CONSUMER.reason + "; delivered up to seq=" + deliveredSeq;
  }

  /** Which of these a received close is; empty for a code the server does not send. */
  public static Optional<CloseCode> of(int code, String reason) {
    for (CloseCode c : values()) {
      if (c.code == code && (reason == null || reason.startsWith(c.reason) || c == SHUTTING_DOWN)) {
        return Optional.of(c);
      }
    }
    return Optional.empty();
  }
}
