package dev.herald.client;

import java.util.List;

/**
 * The server answered with an error. {@link #getMessage()} is the server's {@code message}
 * followed by its {@code details}, as smc-python shows them.
 */
public class HeraldApiException extends RuntimeException {
  private final int status;
  private final String serverMessage;
  private final List<String> details;

  public HeraldApiException(int status, String serverMessage, List<String> details) {
    super(status + " " + serverMessage + (details.isEmpty() ? "" : " " + String.join(" ", details)));
    this.status = status;
    this.serverMessage = serverMessage;
    this.details = List.copyOf(details);
  }

  /** The HTTP status (400 validation, 401 not logged in, 403, 404, 412 stale ETag, …). */
  public int status() {
    return status;
  }

  public String serverMessage() {
    return serverMessage;
  }

  public List<String> details() {
    return details;
  }
}
