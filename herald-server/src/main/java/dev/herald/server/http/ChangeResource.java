package dev.herald.server.http;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.protocol.Json;
import dev.herald.server.HeraldException;
import dev.herald.server.element.ElementService;
import dev.herald.server.store.Change;
import dev.herald.server.store.ChangeLog;
import java.time.Instant;
import java.util.List;
import java.util.Set;

/**
 * {@code GET /herald/changes/{seq}}: one change of the log (Herald's extension), with the element
 * as it was then — what a change-feed listener, or the console, shows for an event it received.
 * Only while the log retains the change, and only for a caller who may see the element's domain.
 */
final class ChangeResource {
  private final ElementService elements;

  ChangeResource(ElementService elements) {
    this.elements = elements;
  }

  List<Route> routes() {
    return List.of(new Route("/herald/changes/{seq}", Set.of("GET"), this::change));
  }

  private Reply change(Call call) {
    long seq;
    try {
      seq = Long.parseLong(call.var("seq"));
    } catch (NumberFormatException e) {
      throw HeraldException.badRequest("Invalid change.", "A change is named by its seq, a number.");
    }
    ChangeLog.Recorded r = elements.recordedChange(call.session().caller(), seq).orElseThrow(() ->
        HeraldException.notFound("No change " + seq + ".",
            "The log holds the changes of its retention only, and shows each to who may see its element."));
    Change c = r.change();
    ObjectNode o = Json.object().put("seq", c.seq()).put("event", c.action().wire()).put("type", c.type())
        .put("key", c.elementKey()).put("name", c.name()).put("at", Instant.ofEpochMilli(c.atMillis()).toString()).put("actor", c.actor());
    if (r.body().isPresent()) {
      o.set("element", Json.parseObject(r.body().get()).map(b -> (ObjectNode) b).orElse(Json.object()));
      if (r.bodySeq() != c.seq()) {
        o.put("element_from_seq", r.bodySeq()); // a delete: the element as its last change left it
      }
    } else {
      o.putNull("element");
    }
    return Reply.json(200, o);
  }
}
