package dev.herald.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.protocol.Json;
import dev.herald.server.HeraldException;
import dev.herald.server.session.Session;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import org.eclipse.jetty.io.Content;

/**
 * Herald's own admin API, for tests (not part of SMC's): {@code /herald/admin/} with reset,
 * snapshots, fault injection and the journal. Served only with {@code --admin-api}; every call
 * needs a session of a superuser (401 without a session, 403 for anyone else).
 */
final class AdminApiResource {
  /** A snapshot upload is read up to this size. */
  static final long MAX_SNAPSHOT_BYTES = 512L * 1024 * 1024;

  private final AdminControl control;
  private final Faults faults;
  private final Journal journal;

  private final dev.herald.server.element.Packages packages;

  private final dev.herald.server.element.UpcomingEvents upcoming;
  private final dev.herald.server.element.Licences licences;

  AdminApiResource(AdminControl control, Faults faults, Journal journal, dev.herald.server.element.Packages packages,
      dev.herald.server.element.UpcomingEvents upcoming, dev.herald.server.element.Licences licences) {
    this.licences = licences;
    this.packages = packages;
    this.upcoming = upcoming;
    this.control = control;
    this.faults = faults;
    this.journal = journal;
  }

  /**
   * A package Forcepoint's download server offers, as an SMC would find it: {@code {"type":
   * "update_package", "package_id": 1712}} or {@code {"type": "engine_upgrade", "version":
   * "7.2.1.31180", "platform": "x86-64-small"}}, optionally {@code name}, {@code release_date},
   * {@code release_notes}. It is listed as available, to download and activate.
   */
  private Reply publishPackage(Call c) throws Exception {
    admin(c);
    JsonNode spec = c.json();
    String type = spec.path("type").asText("");
    if (!dev.herald.server.element.Catalogue.packages().containsKey(type)) {
      throw HeraldException.badRequest("Impossible to publish the package.", "Give its type: one of "
          + String.join(", ", dev.herald.server.element.Catalogue.packages().keySet()) + ".");
    }
    var r = packages.publish(c.session().caller(), type, spec);
    String base = c.base();
    return Reply.json(201, dev.herald.server.element.ElementJson.render(r, base))
        .header("Location", dev.herald.server.element.ElementJson.href(base, r.type(), r.key()));
  }

  List<Route> routes() {
    return List.of(
        new Route("/herald/admin/reset", Set.of("POST"), c -> {
          admin(c);
          return Reply.json(200, control.reset(c.flag("keep_users", true)));
        }),
        new Route("/herald/admin/snapshot", Set.of("GET", "POST"), this::snapshot),
        new Route("/herald/admin/packages", Set.of("POST"), this::publishPackage),
        new Route("/herald/admin/licenses", Set.of("POST"), c -> {
          // Forcepoint's licence server, stood in for: what license_fetch and license_check_for_new find
          admin(c);
          return Reply.json(201, Json.object().put("offered", licences.publish(c.session().caller(), c.json())));
        }),
        new Route("/herald/admin/upcoming_events", Set.of("POST", "DELETE"), c -> {
          // SMC's monitoring raises upcoming events; here a test or a developer does
          admin(c);
          if (c.method().equals("DELETE")) {
            upcoming.clear();
            return Reply.empty(204);
          }
          return Reply.json(201, upcoming.raise(c.session().caller(), c.json(), c.base()));
        }),
        new Route("/herald/admin/faults", Set.of("GET", "POST", "DELETE"), this::faults),
        new Route("/herald/admin/faults/sockets", Set.of("POST"), this::closeSockets),
        new Route("/herald/admin/faults/feed", Set.of("POST"), c -> {
          admin(c);
          long ms = millis(c.json(), "stall_ms");
          control.stallFeed(ms);
          faults.counted("feed");
          return Reply.json(200, Json.object().put("stalled_ms", ms));
        }),
        new Route("/herald/admin/faults/database", Set.of("POST"), c -> {
          admin(c);
          long ms = millis(c.json(), "unreachable_ms");
          control.databaseOutage(ms);
          faults.counted("database");
          return Reply.json(200, Json.object().put("unreachable_ms", ms));
        }),
        new Route("/herald/admin/faults/{id}", Set.of("DELETE"), this::removeFault),
        new Route("/herald/admin/journal", Set.of("GET", "DELETE"), this::journal),
        new Route("/herald/admin/scenarios", Set.of("GET", "POST"), c -> {
          admin(c);
          return c.method().equals("POST") ? Reply.json(201, control.startScenario(c.session().caller(), c.json(), c.base()))
              : Reply.json(200, control.scenarios());
        }),
        new Route("/herald/admin/scenarios/{id}", Set.of("GET", "DELETE"), c -> {
          admin(c);
          long id;
          try {
            id = Long.parseLong(c.var("id"));
          } catch (NumberFormatException e) {
            throw HeraldException.notFound("No scenario " + c.var("id") + ".");
          }
          return Reply.json(200, c.method().equals("DELETE") ? control.cancelScenario(id) : control.scenario(id));
        }),
        new Route("/herald/admin/simulate", Set.of("POST"), c -> {
          admin(c);
          JsonNode spec = c.json();
          long forMs = 0;
          if (spec.has("for_ms")) {
            forMs = millis(spec, "for_ms");
          }
          return Reply.json(200, control.simulate(c.session().caller(),
              spec.path("element").asText(spec.path("node").asText("")), spec, forMs, c.base()));
        }));
  }

  private static void admin(Call c) {
    if (!c.session().caller().rights().superuser()) {
      throw HeraldException.forbidden("Not allowed.", "Herald's admin API is for superusers.");
    }
  }

  private Reply snapshot(Call c) throws Exception {
    admin(c);
    if (c.method().equals("GET")) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      control.saveSnapshot(out);
      return Reply.bytes(200, "application/json", out.toByteArray())
          .header("Content-Disposition", "attachment; filename=\"herald-snapshot.json\"");
    }
    JsonNode root;
    try (InputStream in = new Limited(Content.Source.asInputStream(c.request), MAX_SNAPSHOT_BYTES)) {
      root = Json.mapper().readTree(in);
    } catch (TooLarge e) {
      throw new HeraldException(413, "Snapshot too large.", List.of("The limit is " + MAX_SNAPSHOT_BYTES + " bytes."), null);
    } catch (IOException e) {
      throw HeraldException.badRequest("Invalid snapshot.", "It is not JSON: " + e.getMessage().split("\n")[0]);
    }
    if (root == null) {
      throw HeraldException.badRequest("Invalid snapshot.", "The body is empty: send a snapshot file.");
    }
    return Reply.json(200, control.loadSnapshot(root));
  }

  private Reply faults(Call c) throws Exception {
    admin(c);
    return switch (c.method()) {
      case "POST" -> Reply.json(201, faults.add(c.json()).json());
      case "DELETE" -> Reply.json(200, Json.object().put("removed", faults.clear()));
      default -> {
        ObjectNode o = Json.object();
        ArrayNode a = o.putArray("faults");
        faults.list().forEach(r -> a.add(r.json()));
        yield Reply.json(200, o);
      }
    };
  }

  private Reply removeFault(Call c) {
    admin(c);
    long id;
    try {
      id = Long.parseLong(c.var("id"));
    } catch (NumberFormatException e) {
      throw HeraldException.notFound("No such fault.", "Fault ids are numbers.");
    }
    if (!faults.remove(id)) {
      throw HeraldException.notFound("No such fault.", "Fault " + id + " ended or never was.");
    }
    return Reply.empty(204);
  }

  private Reply closeSockets(Call c) throws Exception {
    admin(c);
    JsonNode spec = c.optionalJson();
    int code = 1011;
    if (spec.has("code")) {
      JsonNode v = spec.get("code");
      int n = v.asInt();
      if (!v.isIntegralNumber() || !(n == 1000 || n == 1001 || n == 1008 || n == 1011 || n == 1012
          || n == 1013 || (n >= 3000 && n <= 4999))) {
        throw HeraldException.badRequest("Invalid fault.", "code must be 1000, 1001, 1008, 1011, 1012, 1013"
            + " or 3000..4999 (a code a server may send).");
      }
      code = n;
    }
    String reason = spec.path("reason").asText("closed by an injected fault");
    if (reason.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 120) {
      throw HeraldException.badRequest("Invalid fault.", "reason must be at most 120 bytes.");
    }
    Optional<String> user = spec.has("user") ? Optional.of(spec.get("user").asText()) : Optional.empty();
    int closed = control.closeSockets(s -> user.isEmpty() || user.get().equals(s.caller().userName()),
        code, reason);
    faults.counted("sockets");
    return Reply.json(200, Json.object().put("closed", closed).put("code", code));
  }

  private static long millis(JsonNode spec, String field) {
    JsonNode v = spec.path(field);
    if (!v.isIntegralNumber() || v.asLong() < 1 || v.asLong() > Faults.MAX_TTL_MS) {
      throw HeraldException.badRequest("Invalid fault.", field + " must be a whole number of milliseconds from 1 to "
          + Faults.MAX_TTL_MS + ".");
    }
    return v.asLong();
  }

  private Reply journal(Call c) {
    admin(c);
    if (c.method().equals("DELETE")) {
      return Reply.json(200, Json.object().put("removed", journal.clear()));
    }
    long after = number(c, "after", 0);
    int limit = (int) Math.min(number(c, "limit", 100), 10_000);
    Optional<String> method = c.param("method").map(m -> m.toUpperCase(Locale.ROOT));
    Optional<java.util.regex.Pattern> path = c.param("path").map(Faults::compile);
    Optional<Integer> status = c.param("status").map(s -> (int) number(c, "status", 0));
    Optional<String> kind = c.param("kind");
    List<Journal.Entry> found = journal.query(after, e ->
        method.map(m -> m.equals(e.method())).orElse(true)
            && path.map(p -> p.matcher(e.path()).matches()).orElse(true)
            && status.map(s -> s == e.status()).orElse(true)
            && kind.map(k -> k.equals(e.kind())).orElse(true), limit);
    ObjectNode o = Json.object().put("enabled", journal.enabled());
    ArrayNode a = o.putArray("entries");
    found.forEach(e -> a.add(e.json()));
    return Reply.json(200, o);
  }

  private static long number(Call c, String name, long dflt) {
    Optional<String> v = c.param(name);
    if (v.isEmpty()) {
      return dflt;
    }
    try {
      long n = Long.parseLong(v.get());
      if (n < 0) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw HeraldException.badRequest("Invalid " + name + ".", name + " must be a whole number of 0 or more.");
    }
  }

  private static final class TooLarge extends IOException {
    TooLarge() {
      super("too large");
    }
  }

  /** Reads at most {@code max} bytes, then fails. */
  private static final class Limited extends java.io.FilterInputStream {
    private long left;

    Limited(InputStream in, long max) {
      super(in);
      left = max;
    }

    @Override
    public int read() throws IOException {
      if (left <= 0) {
        throw new TooLarge();
      }
      int b = super.read();
      if (b >= 0) {
        left--;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (left <= 0) {
        throw new TooLarge();
      }
      int n = super.read(b, off, (int) Math.min(len, left));
      if (n > 0) {
        left -= n;
      }
      return n;
    }
  }
}
