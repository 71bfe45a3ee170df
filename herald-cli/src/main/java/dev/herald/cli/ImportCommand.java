package dev.herald.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.client.HeraldApiException;
import dev.herald.client.HeraldClient;
import dev.herald.protocol.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code herald import FILE}: bulk-creates elements from a JSON array of objects (each with a
 * {@code type}) or a CSV file (a header line naming the fields, one of them {@code type}).
 */
@Command(name = "import", mixinStandardHelpOptions = true, usageHelpAutoWidth = true,
    description = "Create elements from a JSON or CSV file, with a summary (and a progress bar on a terminal).")
final class ImportCommand implements Callable<Integer> {
  @Mixin Connection conn;

  @Parameters(index = "0", paramLabel = "FILE", description = "a .json file (array of objects with \"type\") or a .csv file (header with a type column)")
  Path file;

  @Option(names = "--skip-existing", defaultValue = "true", negatable = true,
      description = "Count an element whose name is already used as skipped, not failed (default true).")
  boolean skipExisting;

  record Item(int line, String type, ObjectNode body) {}

  @Override
  public Integer call() throws Exception {
    List<Item> items = read(file);
    int created = 0;
    int skipped = 0;
    List<String> failures = new ArrayList<>();
    try (HeraldClient c = conn.open()) {
      for (int i = 0; i < items.size(); i++) {
        Item it = items.get(i);
        try {
          c.create(it.type(), it.body());
          created++;
        } catch (HeraldApiException e) {
          if (skipExisting && e.status() == 400 && String.join(" ", e.details()).contains("is already used")) {
            skipped++;
          } else {
            failures.add("#" + it.line() + " " + it.type() + " " + it.body().path("name").asText()
                + ": " + e.serverMessage() + " " + String.join(" ", e.details()));
          }
        }
        progress(i + 1, items.size());
      }
    }
    if (interactive()) {
      System.err.println();
    }
    System.out.println("created " + created + ", skipped " + skipped + ", failed " + failures.size());
    failures.forEach(f -> System.out.println("  failed " + f));
    return failures.isEmpty() ? 0 : Connection.API_ERROR;
  }

  /** Progress goes to a terminal only: a redirected stderr gets no carriage returns. */
  private static boolean interactive() {
    java.io.Console c = System.console();
    if (c == null) {
      return false; // Java 21: no console when a stream is redirected
    }
    try {
      // Java 22+ returns a console for redirected streams too; it tells with isTerminal()
      return (boolean) java.io.Console.class.getMethod("isTerminal").invoke(c);
    } catch (ReflectiveOperationException e) {
      return true;
    }
  }

  private static void progress(int done, int total) {
    if (!interactive()) {
      return;
    }
    int width = 30;
    int filled = total == 0 ? width : done * width / total;
    System.err.print("\r[" + "#".repeat(filled) + " ".repeat(width - filled) + "] " + done + "/" + total);
  }

  /**
   * A CSV file with a header line (RFC 4180: quoted cells may hold commas, quotes and line
   * breaks). Every row must have as many cells as the header.
   */
  static List<Item> readCsv(Path file, String text) {
    com.fasterxml.jackson.dataformat.csv.CsvMapper csv = new com.fasterxml.jackson.dataformat.csv.CsvMapper();
    csv.enable(com.fasterxml.jackson.dataformat.csv.CsvParser.Feature.WRAP_AS_ARRAY);
    csv.enable(com.fasterxml.jackson.dataformat.csv.CsvParser.Feature.SKIP_EMPTY_LINES);
    List<Item> out = new ArrayList<>();
    try (com.fasterxml.jackson.databind.MappingIterator<List<String>> rows =
        csv.readerForListOf(String.class).readValues(text)) {
      if (!rows.hasNext()) {
        throw new CliException(Connection.USAGE, file + " is empty: the first line must name the columns, one of them type.");
      }
      List<String> header = rows.next().stream().map(String::strip).toList();
      int typeCol = header.indexOf("type");
      if (typeCol < 0) {
        throw new CliException(Connection.USAGE, file + ": the CSV header needs a 'type' column.");
      }
      while (rows.hasNext()) {
        int line = rows.getCurrentLocation().getLineNr();
        List<String> cells = rows.next();
        if (cells.size() == 1 && cells.get(0).isBlank()) {
          continue;
        }
        if (cells.size() != header.size()) {
          throw new CliException(Connection.USAGE, file + " line " + line + ": " + cells.size()
              + " cells, the header has " + header.size() + ".");
        }
        List<String> pairs = new ArrayList<>();
        for (int k = 0; k < header.size(); k++) {
          if (k != typeCol && !cells.get(k).isEmpty()) {
            pairs.add(header.get(k) + "=" + cells.get(k).strip());
          }
        }
        out.add(new Item(line, cells.get(typeCol).strip(), ElementCommands.fields(pairs)));
      }
    } catch (java.io.IOException | RuntimeException e) {
      if (e instanceof CliException c) {
        throw c;
      }
      throw new CliException(Connection.USAGE, file + " is not valid CSV: " + e.getMessage());
    }
    return out;
  }

  static List<Item> read(Path file) throws Exception {
    if (!Files.isRegularFile(file)) {
      throw new CliException(Connection.USAGE, "no file " + file + " (give a .json or .csv file)");
    }
    String text = Files.readString(file);
    List<Item> out = new ArrayList<>();
    if (file.toString().endsWith(".csv")) {
      return readCsv(file, text);
    }
    JsonNode root;
    try {
      root = Json.mapper().readTree(text);
    } catch (Exception e) {
      throw new CliException(Connection.USAGE, file + " is not valid JSON: " + e.getMessage());
    }
    if (!root.isArray()) {
      throw new CliException(Connection.USAGE, file + ": expected a JSON array of elements.");
    }
    int n = 0;
    for (JsonNode el : root) {
      n++;
      if (!(el instanceof ObjectNode o) || !o.path("type").isTextual()) {
        throw new CliException(Connection.USAGE, file + " item " + n + ": an object with a \"type\" is expected.");
      }
      ObjectNode body = o.deepCopy();
      body.remove("type");
      out.add(new Item(n, o.get("type").asText(), body));
    }
    return out;
  }
}
