package dev.herald.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.protocol.Json;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The last exchanges with the server, to assert on in tests (WireMock's request journal,
 * MockWebServer's {@code takeRequest()}): REST calls with their status, time and bodies, and
 * the commands clients sent on notification sockets. Bounded: at most {@code capacity} entries
 * (the oldest go), each body cut at {@value #MAX_BODY} characters; 0 = off. Secrets in bodies
 * and query strings are masked.
 */
public final class Journal {
  static final int MAX_BODY = 8192;
  /** Field and parameter names whose values never enter the journal. */
  private static final Set<String> SECRETS = Set.of("password", "pwd", "authenticationkey",
      "authentication_key", "api_key", "apikey", "secret", "shared_secret", "preshared_key",
      "new_password", "old_password", "passphrase", "private_key", "key_password", "token");
  static final String MASK = "***";

  /** One recorded exchange. {@code kind} is {@code http} or {@code socket}. */
  public record Entry(long id, long atMillis, String kind, String method, String path, String query,
      int status, double millis, String user, String requestBody, String responseBody,
      String fault) {
    ObjectNode json() {
      ObjectNode o = Json.object().put("id", id)
          .put("at", java.time.Instant.ofEpochMilli(atMillis).toString()).put("kind", kind)
          .put("method", method).put("path", path);
      if (!query.isEmpty()) {
        o.put("query", query);
      }
      if (kind.equals("http")) {
        o.put("status", status).put("millis", Math.round(millis * 1000) / 1000.0);
      }
      if (!user.isEmpty()) {
        o.put("user", user);
      }
      if (requestBody != null) {
        o.put("request_body", requestBody);
      }
      if (responseBody != null) {
        o.put("response_body", responseBody);
      }
      if (fault != null) {
        o.put("fault", fault);
      }
      return o;
    }
  }

  private final int capacity;
  private final Deque<Entry> entries = new ArrayDeque<>(); // guarded by this
  private long nextId = 1; // guarded by this

  public Journal(int capacity) {
    this.capacity = capacity;
  }

  public boolean enabled() {
    return capacity > 0;
  }

  void record(long atMillis, String kind, String method, String path, String query, int status,
      double millis, String user, String requestBody, String responseBody, String fault) {
    if (capacity <= 0) {
      return;
    }
    Entry e;
    String q = maskQuery(query);
    String req = mask(requestBody);
    String res = mask(responseBody);
    synchronized (this) {
      e = new Entry(nextId++, atMillis, kind, method, path, q, status, millis, user, req, res, fault);
      entries.addLast(e);
      while (entries.size() > capacity) {
        entries.removeFirst();
      }
    }
  }

  /** A socket command a client sent (its text, masked and cut). */
  public void socketCommand(long atMillis, String user, String path, String text) {
    record(atMillis, "socket", "MESSAGE", path, "", 0, 0, user, text, null, null);
  }

  /** Entries after {@code afterId} matching {@code filter}, oldest first, at most {@code limit}. */
  public synchronized List<Entry> query(long afterId, Predicate<Entry> filter, int limit) {
    List<Entry> out = new ArrayList<>();
    for (Entry e : entries) {
      if (e.id() > afterId && filter.test(e)) {
        out.add(e);
        if (out.size() >= limit) {
          break;
        }
      }
    }
    return out;
  }

  /** Forgets every entry; returns how many there were. */
  public synchronized int clear() {
    int n = entries.size();
    entries.clear();
    return n;
  }

  public synchronized int size() {
    return entries.size();
  }

  /** The body with the values of secret fields replaced, cut to {@value #MAX_BODY} characters. */
  static String mask(String body) {
    if (body == null || body.isEmpty()) {
      return body == null ? null : "";
    }
    String out = body;
    Optional<JsonNode> parsed = parse(body);
    if (parsed.isPresent()) {
      maskTree(parsed.get());
      out = Json.write(parsed.get());
    } else if (looksSecret(body)) {
      out = MASK; // not JSON and mentions a secret: say nothing of it
    }
    return out.length() > MAX_BODY ? out.substring(0, MAX_BODY) + "…(cut)" : out;
  }

  private static boolean looksSecret(String text) {
    String lower = text.toLowerCase(Locale.ROOT);
    return SECRETS.stream().anyMatch(lower::contains);
  }

  private static Optional<JsonNode> parse(String body) {
    String t = body.strip();
    if (!(t.startsWith("{") || t.startsWith("["))) {
      return Optional.empty();
    }
    try {
      return Optional.of(Json.mapper().readTree(t));
    } catch (Exception e) {
      return Optional.empty();
    }
  }

  private static void maskTree(JsonNode n) {
    if (n instanceof ObjectNode o) {
      for (Iterator<String> it = o.fieldNames(); it.hasNext(); ) {
        String f = it.next();
        if (SECRETS.contains(f.toLowerCase(Locale.ROOT)) && o.get(f).isValueNode()) {
          o.put(f, MASK);
        } else {
          maskTree(o.get(f));
        }
      }
    } else if (n.isArray()) {
      n.forEach(Journal::maskTree);
    }
  }

  static String maskQuery(String query) {
    if (query == null || query.isEmpty()) {
      return "";
    }
    List<String> parts = new ArrayList<>();
    for (String p : query.split("&")) {
      int eq = p.indexOf('=');
      String name = (eq < 0 ? p : p.substring(0, eq)).toLowerCase(Locale.ROOT);
      parts.add(eq >= 0 && SECRETS.contains(name) ? p.substring(0, eq + 1) + MASK : p);
    }
    return String.join("&", parts);
  }
}
