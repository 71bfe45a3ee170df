package dev.herald.server.element;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * {@code docs/coverage.md}: for each element type and each of its links, what Herald does —
 * like an emulator's API coverage table. Generated from the catalogue; a test fails when the
 * file is stale ({@code CoverageTest}); {@code main} rewrites it.
 */
public final class Coverage {
  private Coverage() {}

  /** The page, from the catalogue. */
  public static String page() {
    Map<String, Catalogue.Type> types = Catalogue.types();
    long validated = types.values().stream().filter(Catalogue.Type::validated).count();
    long links = types.values().stream().mapToLong(t -> t.links().size()).sum();
    long implemented = types.values().stream().mapToLong(t -> t.links().stream().filter(Catalogue.Link::implemented).count()).sum();
    StringBuilder sb = new StringBuilder();
    sb.append("# Coverage of SMC's element model\n\n")
        .append("Generated from the element catalogue (`herald-server/src/main/resources/dev/herald/server/catalogue.json`,\n")
        .append("built by `tools/catalogue/build.py`); `CoverageTest` fails when this page is stale. Regenerate:\n")
        .append("`./mvnw test -pl herald-server -am -Dtest=CoverageTest -Dcoverage.write=true -Dsurefire.failIfNoSpecifiedTests=false`\n\n")
        .append("- **validated**: the type's attributes are known (SMC 7.4.1's API model, as Forcepoint's Terraform\n")
        .append("  provider ships it, and smc-python's calls): JSON types, enum values, ranges, formats and reference\n")
        .append("  targets are checked, SMC's defaults filled in on create, references tracked both ways.\n")
        .append("- **stored**: a RelName smc-python knows without a published attribute model: any JSON object with\n")
        .append("  a name is stored, searched, referenced and evented like any element.\n")
        .append("- Every element answers `self`, `trash`/`untrash` and its type's links below: ✔ answered for real,\n")
        .append("  ✘ answered 501 in SMC's error shape (\"Herald does not implement … yet\").\n\n")
        .append(String.format("%d types: %d validated, %d stored. %d links: %d implemented.%n%n",
            types.size(), validated, types.size() - validated, links, implemented));
    Map<String, String> aliases = new TreeMap<>();
    for (String r : Catalogue.relNames()) {
      if (!Catalogue.canonical(r).equals(r)) {
        aliases.put(r, Catalogue.canonical(r));
      }
    }
    if (!aliases.isEmpty()) {
      sb.append("Aliases (the Terraform provider's names for types smc-python names otherwise; both are served):\n");
      aliases.forEach((a, t) -> sb.append("`").append(a).append("` → `").append(t).append("`; "));
      sb.setLength(sb.length() - 2);
      sb.append(".\n\n");
    }
    Map<String, Long> builtIns = BuiltIns.all().stream()
        .collect(Collectors.groupingBy(BuiltIns.Element::type, TreeMap::new, Collectors.counting()));
    sb.append(String.format("%d built-in elements of %d types on a fresh server (`herald-server/src/main/resources/dev/herald/server/builtins/`).%n%n",
        builtIns.values().stream().mapToLong(Long::longValue).sum(), builtIns.size()));
    sb.append("| type | model | built-in | families | links |\n|---|---|---|---|---|\n");
    for (Catalogue.Type t : types.values()) {
      sb.append("| `").append(t.name()).append("` | ").append(t.validated() ? "validated" : "stored")
          .append(" | ").append(builtIns.containsKey(t.name()) ? String.valueOf(builtIns.get(t.name())) : "")
          .append(" | ").append(String.join(", ", t.families())).append(" | ")
          .append(t.links().stream().map(l -> l.rel() + (l.implemented() ? " ✔" : " ✘"))
              .collect(Collectors.joining(", ")))
          .append(" |\n");
    }
    return sb.toString();
  }

  /** Writes docs/coverage.md under {@code root} (the project root). */
  public static void write(Path root) throws IOException {
    Files.writeString(root.resolve("docs/coverage.md"), page());
  }
}
