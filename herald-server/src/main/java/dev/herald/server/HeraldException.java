package dev.herald.server;

import java.util.List;

/**
 * The root of every error Herald reports to a client. It carries the HTTP status and an
 * SMC-format body: a {@code message} and a list of {@code details} that a user can act on.
 */
public class HeraldException extends RuntimeException {
  private final int status;
  private final List<String> details;
  private final java.util.Map<String, String> headers = new java.util.LinkedHashMap<>();

  public HeraldException(int status, String message, String... details) {
    this(status, message, List.of(details), null);
  }

  public HeraldException(int status, String message, List<String> details, Throwable cause) {
    super(message, cause);
    this.status = status;
    this.details = List.copyOf(details);
  }

  public int status() {
    return status;
  }

  public List<String> details() {
    return details;
  }

  /** Extra response headers (e.g. Retry-After) to send with the error. */
  public java.util.Map<String, String> headers() {
    return java.util.Collections.unmodifiableMap(headers);
  }

  public HeraldException header(String name, String value) {
    headers.put(name, value);
    return this;
  }

  public static HeraldException badRequest(String message, String... details) {
    return new HeraldException(400, message, details);
  }

  public static HeraldException notFound(String message, String... details) {
    return new HeraldException(404, message, details);
  }

  public static HeraldException unauthorized(String message) {
    return new HeraldException(401, message);
  }

  public static HeraldException forbidden(String message, String... details) {
    return new HeraldException(403, message, details);
  }

  /** The database cannot be reached: clients should retry (smc-python retries 503 on idempotent calls). */
  public static HeraldException unavailable(String message, Throwable cause) {
    return new HeraldException(503, message, List.of("Retry the request in a moment."), cause)
        .header("Retry-After", "1");
  }
}
