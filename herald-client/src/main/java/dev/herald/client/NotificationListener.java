package dev.herald.client;

/**
 * Receives one subscription's events. Calls come one at a time, in order, from the
 * subscription's own thread; the next message is read only when a call returns, so a slow
 * listener slows reading (and a server that loses patience closes the socket: the subscription
 * then reconnects and resumes where the listener left off, losing nothing on Herald).
 */
public interface NotificationListener {
  void onEvent(Event event);

  /**
   * The position to resume from is older than the server's retained history: changes between
   * {@code since} and {@code oldestSeq} are gone. The subscription continues live from
   * {@code headSeq}; re-read the state you need over REST.
   */
  default void onHistoryExpired(long since, long oldestSeq, long headSeq) {}

  /** Connection state changes: connected, reconnecting (with the cause), closed. */
  default void onState(Subscription.State state, Throwable cause) {}
}
