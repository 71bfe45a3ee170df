package dev.herald.client;

/**
 * The server answered in a way this client cannot read: not an error the server reported
 * ({@link HeraldApiException} carries those, with their HTTP status), but an answer outside the
 * protocol — a created element without its {@code Location}, a body that is not the JSON
 * expected, a frame that is not JSON before a subscription was acknowledged. It usually means
 * the URL does not lead to Herald or an SMC (a proxy's page, another service).
 */
public class HeraldProtocolException extends RuntimeException {
  public HeraldProtocolException(String message) {
    super(message);
  }
}
