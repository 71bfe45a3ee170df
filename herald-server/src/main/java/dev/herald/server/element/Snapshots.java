package dev.herald.server.element;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.protocol.Json;
import dev.herald.server.HeraldException;
import dev.herald.server.store.ElementRecord;
import dev.herald.server.store.ElementStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeSet;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Engines' policy snapshots, as SMC keeps them: a policy upload (with {@code generate_snapshot},
 * smc-python's default) takes one — the engine's configuration as it was installed — listed by the
 * engine's {@code snapshots} link, each at {@code <engine>/snapshot/KEY} with its
 * {@code content} (a zip of the configuration), {@code html_content} (the same as a page) and
 * {@code compare_to_latest} (what changed since, as a page, zipped); {@code generate_snapshot}
 * answers the configuration now. The last {@link #KEPT} of an engine are kept, as a resource of
 * the engine.
 */
public final class Snapshots {
  static final int KEPT = 20;
  private static final String RESOURCE = "snapshots";
  public static final String TYPE = "snapshot";

  private final ElementStore store;
  private final InstantSource clock;

  public Snapshots(ElementService elements, InstantSource clock) {
    this.store = elements.store();
    this.clock = clock;
  }

  private ObjectNode stored(long engineKey) {
    return store.resource(engineKey, RESOURCE).map(s -> (ObjectNode) ElementService.parse(s)).orElseGet(() -> {
      ObjectNode o = Json.object().put("next", 1);
      o.putArray("items");
      return o;
    });
  }

  /** Takes a snapshot of the engine's configuration as it is now (a policy was just installed). */
  public void take(ElementRecord engine, String policy) {
    long now = clock.millis();
    store.write(tx -> {
      ElementRecord cur = tx.lock(engine.key()).orElse(null);
      if (cur == null) {
        return null;
      }
      ObjectNode s = stored(cur.key());
      int id = s.path("next").asInt(1);
      s.put("next", id + 1);
      ArrayNode items = (ArrayNode) s.get("items");
      items.addObject().put("id", id).put("name", cur.name() + " " + policy + " " + Instant.ofEpochMilli(now))
          .put("creation_time", now).put("policy", policy).put("configuration", cur.body());
      while (items.size() > KEPT) {
        items.remove(0);
      }
      tx.putResource(cur.key(), RESOURCE, Json.write(s));
      return null;
    });
  }

  /** The engine's snapshots, newest first, as meta. */
  public ObjectNode list(EngineNodes.Engine e, String engineHref) {
    ObjectNode out = Json.object();
    ArrayNode result = out.putArray("result");
    ArrayNode items = (ArrayNode) stored(e.record().key()).get("items");
    for (int i = items.size() - 1; i >= 0; i--) {
      JsonNode it = items.get(i);
      result.addObject().put("name", it.path("name").asText()).put("href", engineHref + "/" + TYPE + "/" + it.path("id").asInt())
          .put("type", TYPE);
    }
    return out;
  }

  private JsonNode item(EngineNodes.Engine e, long id) {
    for (JsonNode it : stored(e.record().key()).path("items")) {
      if (it.path("id").asLong() == id) {
        return it;
      }
    }
    throw HeraldException.notFound("Snapshot not found.", e.record().name() + " has no snapshot " + id + ".");
  }

  /** One snapshot: its name, when, the policy, and its download links. */
  public ObjectNode get(EngineNodes.Engine e, long id, String engineHref) {
    JsonNode it = item(e, id);
    String self = engineHref + "/" + TYPE + "/" + id;
    ObjectNode o = Json.object().put("name", it.path("name").asText()).put("creation_time", it.path("creation_time").asLong())
        .put("policy", it.path("policy").asText());
    ArrayNode link = o.putArray("link");
    link.addObject().put("rel", "self").put("href", self).put("type", TYPE);
    for (String rel : new String[] {"content", "html_content", "compare_to_latest"}) {
      link.addObject().put("rel", rel).put("href", self + "/" + rel);
    }
    return o;
  }

  /** A download of a snapshot: {@code content}, {@code html_content} or {@code compare_to_latest}, zipped. */
  public byte[] download(EngineNodes.Engine e, long id, String rel, String base) {
    JsonNode it = item(e, id);
    String config = pretty(it.path("configuration").asText(), base);
    String name = it.path("name").asText().replaceAll("[^A-Za-z0-9._-]", "_");
    return switch (rel) {
      case "content" -> zip(Map.of(name + "/engine.json", config));
      case "html_content" -> zip(Map.of(name + ".html", page(it.path("name").asText(), config)));
      case "compare_to_latest" -> zip(Map.of(name + "-compared.html",
          compare(it.path("name").asText(), it.path("configuration").asText(), e.record().body())));
      default -> throw HeraldException.notFound("No link " + rel + " on a snapshot.");
    };
  }

  /** {@code generate_snapshot}: the engine's configuration now, zipped. */
  public byte[] now(EngineNodes.Engine e, String base) {
    return zip(Map.of(e.record().name().replaceAll("[^A-Za-z0-9._-]", "_") + "/engine.json",
        pretty(e.record().body(), base)));
  }

  private static String pretty(String body, String base) {
    ObjectNode o = (ObjectNode) ElementService.parse(body);
    ElementJson.withBase(o, base);
    try {
      return Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(o);
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }

  private static String page(String title, String config) {
    return "<!doctype html><html><head><meta charset=\"utf-8\"><title>" + escape(title) + "</title></head><body><h1>"
        + escape(title) + "</h1><pre>" + escape(config) + "</pre></body></html>\n";
  }

  /** The top-level settings that differ between the snapshot and the configuration now. */
  private static String compare(String title, String then, String now) {
    JsonNode a = ElementService.parse(then);
    JsonNode b = ElementService.parse(now);
    TreeSet<String> keys = new TreeSet<>();
    for (Iterator<String> i = a.fieldNames(); i.hasNext();) {
      keys.add(i.next());
    }
    for (Iterator<String> i = b.fieldNames(); i.hasNext();) {
      keys.add(i.next());
    }
    StringBuilder rows = new StringBuilder();
    for (String k : keys) {
      if (!a.path(k).equals(b.path(k))) {
        rows.append("<tr><td>").append(escape(k)).append("</td><td><pre>").append(escape(a.path(k).toPrettyString()))
            .append("</pre></td><td><pre>").append(escape(b.path(k).toPrettyString())).append("</pre></td></tr>");
      }
    }
    return "<!doctype html><html><head><meta charset=\"utf-8\"><title>" + escape(title) + " compared to the latest</title></head>"
        + "<body><h1>" + escape(title) + " compared to the latest</h1>"
        + (rows.length() == 0 ? "<p>No differences.</p>"
            : "<table><tr><th>setting</th><th>in the snapshot</th><th>now</th></tr>" + rows + "</table>")
        + "</body></html>\n";
  }

  private static byte[] zip(Map<String, String> files) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
      for (Map.Entry<String, String> f : new java.util.TreeMap<>(files).entrySet()) {
        zip.putNextEntry(new ZipEntry(f.getKey()));
        zip.write(f.getValue().getBytes(StandardCharsets.UTF_8));
        zip.closeEntry();
      }
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
    return bytes.toByteArray();
  }
}
