package dev.herald.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.client.Element;
import dev.herald.client.HeraldClient;
import dev.herald.client.Search;
import dev.herald.protocol.Json;
import java.util.List;
import java.util.Optional;
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

  static String pretty(JsonNode n) {
    try {
      return Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(n);
    } catch (Exception e) {
      return n.toString();
    }
  }

  @Command(name = "get", mixinStandardHelpOptions = true, description = "Print an element: herald get host 1732")
  static final class Get implements Callable<Integer> {
    @Mixin Connection conn;
    @Parameters(index = "0", description = "element type (RelName), or a full href") String type;
    @Parameters(index = "1", arity = "0..1", description = "element key") Long key;

    @Override
    public Integer call() {
      try (HeraldClient c = conn.open()) {
        Element e = key == null ? c.get(type) : c.get(type, key);
        System.out.println(pretty(e.json()));
        return 0;
      }
    }
  }

  @Command(name = "create", mixinStandardHelpOptions = true,
      description = "Create an element: herald create host name=h1 address=10.0.0.1")
  static final class Create implements Callable<Integer> {
    @Mixin Connection conn;
    @Parameters(index = "0") String type;
    @Parameters(index = "1..*", description = "FIELD=VALUE pairs") List<String> pairs = List.of();

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

  @Command(name = "update", mixinStandardHelpOptions = true,
      description = "Change fields of an element: herald update host 1732 address=10.0.0.2")
  static final class Update implements Callable<Integer> {
    @Mixin Connection conn;
    @Parameters(index = "0") String type;
    @Parameters(index = "1") long key;
    @Parameters(index = "2..*", description = "FIELD=VALUE pairs") List<String> pairs = List.of();

    @Override
    public Integer call() {
      ObjectNode changes = fields(pairs);
      try (HeraldClient c = conn.open()) {
        Element cur = c.get(type, key);
        ObjectNode body = cur.copy();
        body.setAll(changes);
        Element e = c.update(cur, body);
        System.out.println(pretty(e.json()));
        return 0;
      }
    }
  }

  @Command(name = "delete", mixinStandardHelpOptions = true, description = "Delete an element: herald delete host 1732")
  static final class Delete implements Callable<Integer> {
    @Mixin Connection conn;
    @Parameters(index = "0") String type;
    @Parameters(index = "1") long key;

    @Override
    public Integer call() {
      try (HeraldClient c = conn.open()) {
        c.delete(c.base() + "/elements/" + type + "/" + key, Optional.empty());
        return 0;
      }
    }
  }

  @Command(name = "search", mixinStandardHelpOptions = true,
      description = "List elements: herald search host --filter web (one 'type name href' line each)")
  static final class SearchCommand implements Callable<Integer> {
    @Mixin Connection conn;
    @Parameters(arity = "0..*", description = "types or contexts (default: all)") List<String> types = List.of();
    @Option(names = "--filter") String filter;
    @Option(names = "--exact", description = "match the whole name") boolean exact;
    @Option(names = "--case-sensitive") boolean caseSensitive;
    @Option(names = "--limit") Integer limit;
    @Option(names = "--json", description = "print the result as JSON") boolean json;

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
