package dev.herald.client;

import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * One element change from the notification socket.
 *
 * @param type create, update, delete, trashed, untrashed, validating or validated
 * @param href the element's href (GET it for the element; 404 once deleted)
 * @param seq the change's position in the server's log, when the server has Herald's
 *     extensions (absent on a real SMC)
 * @param committedAt when the change committed, when the server has Herald's extensions
 */
public record Event(String context, String type, String href, OptionalLong seq,
    Optional<Instant> committedAt) {
  /** The element key at the end of the href. */
  public long key() {
    return Long.parseLong(href.substring(href.lastIndexOf('/') + 1));
  }

  /** The element type (RelName) in the href. */
  public String elementType() {
    String s = href.substring(0, href.lastIndexOf('/'));
    return s.substring(s.lastIndexOf('/') + 1);
  }
}
