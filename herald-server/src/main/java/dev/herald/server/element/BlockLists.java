package dev.herald.server.element;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.protocol.Json;
import dev.herald.server.HeraldException;
import dev.herald.server.store.ElementRecord;
import dev.herald.server.store.ElementStore;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Engines' block lists, as smc-python fills them ({@code engine.block_list(src, dst, duration)}:
 * POST {@code {"entries": [{"end_point1": {...}, "end_point2": {...}, "duration": s}]}} to the
 * engine's {@code block_list}, or to the {@code system}'s for every engine; DELETE
 * {@code flush_block_list}). Each entry is checked as SMC checks it (an address mode, a network
 * in CIDR form, ports and their protocol, a duration) — one bad entry refuses them all, nothing
 * stored — and kept, with its expiry, as a resource of the engine. SMC shows block lists only
 * through its monitoring sockets, which Herald does not serve: a GET of the engine's
 * {@code block_list} answers the entries in force (Herald's own reading).
 */
public final class BlockLists {
  private static final String RESOURCE = "block_list";
  private static final Set<String> PORT_MODES = Set.of("predefined_tcp", "predefined_udp");
  /** Entries one request may carry, and one engine may hold (in force). */
  static final int MAX_PER_REQUEST = 1_000;
  static final int MAX_PER_ENGINE = 10_000;
  /** The longest block Herald keeps: a year. */
  private static final long MAX_DURATION_S = 366L * 24 * 3600;

  private final ElementStore store;
  private final InstantSource clock;

  public BlockLists(ElementService elements, InstantSource clock) {
    this.store = elements.store();
    this.clock = clock;
  }

  /** The entries of a request: {@code {"entries": [...]}}, or one bare entry (API 6.3 and before). */
  public static List<ObjectNode> entries(JsonNode body) {
    String refused = "Impossible to add the block list entries.";
    JsonNode list = body.has("entries") ? body.get("entries") : Json.mapper().createArrayNode().add(body);
    if (!list.isArray() || list.isEmpty()) {
      throw HeraldException.badRequest(refused, "Send {\"entries\": [{\"end_point1\": …, \"end_point2\": …, \"duration\": s}]}.");
    }
    if (list.size() > MAX_PER_REQUEST) {
      throw HeraldException.badRequest(refused, "At most " + MAX_PER_REQUEST + " entries per request.");
    }
    List<ObjectNode> out = new ArrayList<>();
    int i = 0;
    for (JsonNode e : list) {
      i++;
      if (!(e instanceof ObjectNode entry)) {
        throw HeraldException.badRequest(refused, "Entry " + i + " is not an object.");
      }
      ObjectNode clean = Json.object();
      for (String side : List.of("end_point1", "end_point2")) {
        clean.set(side, endPoint(entry.get(side), "Entry " + i + " " + side, refused));
      }
      JsonNode d = entry.path("duration");
      if (!d.canConvertToLong() || !d.isIntegralNumber() || d.asLong() < 1 || d.asLong() > MAX_DURATION_S) {
        throw HeraldException.badRequest(refused, "Entry " + i + ": duration must be a whole number of seconds from 1 to "
            + MAX_DURATION_S + ".");
      }
      clean.put("duration", d.asLong());
      out.add(clean);
    }
    return out;
  }

  private static ObjectNode endPoint(JsonNode p, String where, String refused) {
    if (!(p instanceof ObjectNode o)) {
      throw HeraldException.badRequest(refused, where + " is missing (an object with address_mode).");
    }
    ObjectNode clean = Json.object();
    String mode = o.path("address_mode").asText("");
    switch (mode) {
      case "any" -> clean.put("address_mode", "any");
      case "address" -> {
        String net = o.path("ip_network").asText("");
        if (!Addresses.isNetwork(net, net.contains(":"))) {
          throw HeraldException.badRequest(refused, where + ": ip_network must be a network in CIDR form"
              + " (10.10.10.10/32); got \"" + net + "\".");
        }
        clean.put("address_mode", "address").put("ip_network", net);
      }
      default -> throw HeraldException.badRequest(refused, where + ": address_mode must be any or address; got \""
          + mode + "\".");
    }
    if (o.has("port1") || o.has("port2")) {
      int p1 = o.path("port1").asInt(-1);
      int p2 = o.path("port2").asInt(p1);
      if (!o.path("port1").isIntegralNumber() || p1 < 1 || p1 > 65535 || p2 < p1 || p2 > 65535) {
        throw HeraldException.badRequest(refused, where + ": port1 and port2 must be ports from 1 to 65535, port1 first.");
      }
      String pm = o.path("port_mode").asText("predefined_tcp");
      if (!PORT_MODES.contains(pm)) {
        throw HeraldException.badRequest(refused, where + ": port_mode must be predefined_tcp or predefined_udp.");
      }
      clean.put("port1", p1).put("port2", p2).put("port_mode", pm);
    }
    return clean;
  }

  /** Adds checked entries to each engine, in one transaction. */
  public void add(List<ElementRecord> engines, List<ObjectNode> entries) {
    long now = clock.millis();
    store.write(tx -> {
      for (ElementRecord r : engines) {
        if (tx.lock(r.key()).isEmpty()) {
          continue;
        }
        ArrayNode list = inForce(r.key(), now);
        if (list.size() + entries.size() > MAX_PER_ENGINE) {
          throw HeraldException.badRequest("Impossible to add the block list entries.", r.name() + " holds "
              + list.size() + " entries in force; an engine holds at most " + MAX_PER_ENGINE + ".");
        }
        for (ObjectNode e : entries) {
          ObjectNode stored = e.deepCopy().put("added", now).put("expires", now + e.get("duration").asLong() * 1000);
          list.add(stored);
        }
        tx.putResource(r.key(), RESOURCE, Json.write(Json.object().set("entries", list)));
      }
      return null;
    });
  }

  /** Empties an engine's block list. */
  public void flush(ElementRecord engine) {
    store.write(tx -> {
      tx.deleteResource(engine.key(), RESOURCE);
      return null;
    });
  }

  private ArrayNode inForce(long engineKey, long now) {
    ArrayNode out = Json.mapper().createArrayNode();
    store.resource(engineKey, RESOURCE).ifPresent(s -> {
      for (JsonNode e : ElementService.parse(s).path("entries")) {
        if (e.path("expires").asLong() > now) {
          out.add(e);
        }
      }
    });
    return out;
  }

  /** The entries in force, each with the seconds it has left. */
  public ObjectNode list(ElementRecord engine) {
    long now = clock.millis();
    ObjectNode out = Json.object();
    ArrayNode result = out.putArray("result");
    for (JsonNode e : inForce(engine.key(), now)) {
      ObjectNode o = ((ObjectNode) e).deepCopy();
      o.put("expires_in", (e.path("expires").asLong() - now + 999) / 1000);
      o.remove("expires");
      o.remove("added");
      result.add(o);
    }
    return out;
  }
}
