package dev.herald.client;

/**
 * The server refused a subscription on the notification socket (an unknown type, a bad filter,
 * a resume position the server never had). Distinct from {@link HeraldApiException}, which is
 * an HTTP answer: this one is an answer on the socket.
 */
public class SubscriptionRefusedException extends RuntimeException {
  public SubscriptionRefusedException(String serverReason) {
    super(serverReason);
  }
}
