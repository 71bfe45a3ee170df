package dev.herald.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.client.Element;
import dev.herald.client.HeraldClient;
import dev.herald.client.Search;
import dev.herald.protocol.Json;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code herald get|create|update|delete|search}: one element call each, JSON on stdout. */
final class ElementCommands {
  private ElementCommands() {}

  /** {@code name=h1 address=10.0.0.1 port=80 tags=[1,2]}: values that parse as JSON stay JSON. */
  static ObjectNode fields(List<String> pairs) {
    ObjectNode o = Json.object();
    for (String p : pairs) {
      int eq = p.indexOf('=');
      if (eq <= 0) {
        throw new CliException(Connection.USAGE, "Expected FIELD=VALUE, got \"" + p + "\".");
      }
      String k = p.substring(0, eq);
      String v = p.substring(eq + 1);
      JsonNode parsed = null;
      try {
        parsed = v.isEmpty() ? null : Json.mapper().readTree(v);
      } catch (Exception notJson) {
        // a plain string
      }
      if (parsed == null || parsed.isMissingNode()) {
        o.put(k, v);
      } else {
        o.set(k, parsed);
      }
    }
    return o;
  }

  /**
   * The href of an element named by key or name: {@code 1732} is a key, {@code web-1} a name
   * (searched exactly, case-sensitively, within the type).
   */
  static String href(HeraldClient c, String type, String keyOrName) {
    if (keyOrName.matches("\\d{1,18}")) {
      return c.base() + "/elements/" + type + "/" + keyOrName;
    }
    List<HeraldClient.Meta> found = c.search(Search.of(type).filter(keyOrName).exactMatch(true).caseSensitive(true));
    if (found.isEmpty()) {
      throw new CliException(Connection.API_ERROR, "No " + type + " named " + keyOrName + ".");
    }
    if (found.size() > 1) {
      throw new CliException(Connection.API_ERROR, found.size() + " elements of type " + type + " are named "
          + keyOrName + " (in different domains); give the key: "
          + found.stream().map(HeraldClient.Meta::href).toList());
    }
    return found.get(0).href();
  }

  static String pretty(JsonNode n) {
    try {
      return Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(n);
    } catch (Exception e) {
      return n.toString();
    }
  }

  @Command(name = "get", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
      description = "Print an element: herald get host web-1, herald get host 1732, or herald get HREF")
  static final class Get implements Callable<Integer> {
    @Mixin Connection conn;
    @Parameters(index = "0", paramLabel = "TYPE", description = "Element type (RelName, e.g. host), or the element's full href.") String type;
    @Parameters(index = "1", arity = "0..1", paramLabel = "KEY|NAME", description = "The element's key (a number) or its name.") String key;

    @Override
    public Integer call() {
      if (key == null && !type.contains("/elements/")) {
        throw new CliException(Connection.USAGE, "Give the element: herald get " + type + " KEY|NAME (or a full href).");
      }
      try (HeraldClient c = conn.open()) {
        Element e = c.get(key == null ? type : href(c, type, key));
        System.out.println(pretty(e.json()));
        return 0;
      }
    }
  }

  @Command(name = "create", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
      description = "Create an element and print its href: herald create host name=h1 address=10.0.0.1")
  static final class Create implements Callable<Integer> {
    @Mixin Connection conn;
    @Parameters(index = "0", paramLabel = "TYPE", description = "Element type (RelName, e.g. host, network, tcp_service).") String type;
    @Parameters(index = "1..*", paramLabel = "FIELD=VALUE", description = "Fields; a value that parses as JSON (80, true, [\"a\"]) is sent as JSON, else as a string.") List<String> pairs = List.of();

    @Override
    public Integer call() {
      ObjectNode body = fields(pairs);
      try (HeraldClient c = conn.open()) {
        Element e = c.create(type, body);
        System.out.println(e.href());
        return 0;
      }
    }
  }

  @Command(name = "update", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
      description = "Change fields of an element (GET, merge, PUT with its ETag): herald update host web-1 address=10.0.0.2")
  static final class Update implements Callable<Integer> {
    @Mixin Connection conn;
    @Parameters(index = "0", paramLabel = "TYPE", description = "Element type (RelName).") String type;
    @Parameters(index = "1", paramLabel = "KEY|NAME", description = "The element's key or name.") String key;
    @Parameters(index = "2..*", paramLabel = "FIELD=VALUE", description = "Fields to set (values as for create).") List<String> pairs = List.of();

    @Override
    public Integer call() {
      ObjectNode changes = fields(pairs);
      try (HeraldClient c = conn.open()) {
        Element cur = c.get(href(c, type, key));
        ObjectNode body = cur.copy();
        body.setAll(changes);
        Element e = c.update(cur, body);
        System.out.println(pretty(e.json()));
        return 0;
      }
    }
  }

  @Command(name = "delete", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
      description = "Delete an element: herald delete host web-1")
  static final class Delete implements Callable<Integer> {
    @Mixin Connection conn;
    @Parameters(index = "0", paramLabel = "TYPE", description = "Element type (RelName).") String type;
    @Parameters(index = "1", paramLabel = "KEY|NAME", description = "The element's key or name.") String key;

    @Override
    public Integer call() {
      try (HeraldClient c = conn.open()) {
        c.delete(href(c, type, key));
        return 0;
      }
    }
  }

  @Command(name = "search", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
      description = "List elements: herald search host --filter web (one 'type name href' line each)")
  static final class SearchCommand implements Callable<Integer> {
    @Mixin Connection conn;
    @Parameters(arity = "0..*", paramLabel = "TYPE", description = "Element types or contexts (e.g. host, network_elements); default: every type.") List<String> types = List.of();
    @Option(names = "--filter", paramLabel = "TEXT", description = "Only elements whose name (or address, comment) contains TEXT.") String filter;
    @Option(names = "--exact", description = "Match the whole name.") boolean exact;
    @Option(names = "--case-sensitive", description = "Match the name's case.") boolean caseSensitive;
    @Option(names = "--limit", paramLabel = "N", description = "At most N results.") Integer limit;
    @Option(names = "--json", description = "Print the result as JSON.") boolean json;

    @Override
    public Integer call() {
      Search s = Search.of(types.toArray(String[]::new)).exactMatch(exact).caseSensitive(caseSensitive);
      if (filter != null) {
        s = s.filter(filter);
      }
      if (limit != null) {
        s = s.limit(limit);
      }
      try (HeraldClient c = conn.open()) {
        List<HeraldClient.Meta> result = c.search(s);
        if (json) {
          System.out.println(Json.mapper().valueToTree(result).toPrettyString());
        } else {
          for (HeraldClient.Meta m : result) {
            System.out.println(m.type() + "\t" + m.name() + "\t" + m.href());
          }
        }
        return 0;
      }
    }
  }
}
