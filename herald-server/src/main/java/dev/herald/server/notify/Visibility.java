package dev.herald.server.notify;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.protocol.Json;
import dev.herald.server.HeraldException;
import dev.herald.server.element.ElementService;
import dev.herald.server.element.Engines;
import dev.herald.server.session.Session;
import dev.herald.server.store.ElementRecord;
import java.util.Optional;
import java.util.Set;

/** What a socket's session may see: its domains, and the monitored elements it names. */
final class Visibility {
  private final ElementService elements;

  Visibility(ElementService elements) {
    this.elements = elements;
  }

  /** The domains whose changes the session receives. */
  Set<Long> domains(Session s) {
    return elements.visibleDomains(s.caller());
  }

  /** An element the session may see, if it exists (status subscriptions). */
  Optional<ElementRecord> element(Session s, String type, long key) {
    try {
      return Optional.of(elements.get(s.caller(), type, key));
    } catch (HeraldException e) {
      return Optional.empty();
    }
  }

  /** Whether the engine has the node {@code nodeType/nodeKey}. */
  boolean hasNode(ElementRecord engine, String nodeType, long nodeKey) {
    try {
      return Engines.node((ObjectNode) Json.mapper().readTree(engine.body()), nodeType, nodeKey).isPresent();
    } catch (JsonProcessingException | ClassCastException e) {
      return false;
    }
  }
}
