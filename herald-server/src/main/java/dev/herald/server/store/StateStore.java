package dev.herald.server.store;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.protocol.Json;
import dev.herald.server.HeraldException;
import java.io.IOException;
import java.io.OutputStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Whole-state operations: a reset to the fresh state, and snapshots (the state as a file, and
 * back). Each runs alone in one write transaction: it happens entirely or not at all, and no
 * other write shares it.
 *
 * <p>Both leave the change log empty and move its head one past where it was, so every
 * position from before them is older than what the log retains: a client resuming from one
 * gets {@code history_expired}, never a silent gap.
 *
 * <p>The snapshot format is documented in {@code docs/testing.md}: a JSON object
 * {@code {"format":"herald-snapshot","version":1,"tables":{NAME:{"columns":[...],"rows":[[...]]}}}}
 * holding the rows of {@link #TABLES}. Columns are named, so a later schema that adds a column
 * still loads an older file (the column gets its default).
 */
public final class StateStore {
  public static final String FORMAT = "herald-snapshot";
  /** The newest snapshot format version this Herald writes; it loads 1 up to this. */
  public static final int VERSION = 1;
  /** The tables a snapshot holds, in load order. Not the change log, tasks or sessions. */
  static final List<String> TABLES = List.of("element", "element_ref", "element_category",
      "element_resource", "rule_order", "credential", "server_setting", "key_counter");

  private final ElementStore store;
  private final Database db;

  public StateStore(ElementStore store, Database db) {
    this.store = store;
    this.db = db;
  }

  /** What a reset removed, and the change-log head after it. */
  public record Reset(int elements, long head) {}

  /**
   * Deletes every element that is not a built-in one (system) and whose type is not in
   * {@code keepTypes}, with its references, categories, resources, rule places and credential;
   * the change log, the tasks, the changed system properties and the upcoming events' settings. Elements kept whose key is in
   * neither set are still kept when {@code keep} says so.
   *
   * @param keep which of the non-system elements stay (by type and key)
   */
  public Reset reset(Predicate<ElementRecord> keep) {
    return store.writeAlone(tx -> {
      Connection c = tx.connection();
      List<Long> gone = new ArrayList<>();
      try (PreparedStatement q = c.prepareStatement(
          "SELECT element_key, domain_key, type, name, version, trashed FROM element WHERE NOT system_elem");
          ResultSet rs = q.executeQuery()) {
        while (rs.next()) {
          ElementRecord r = new ElementRecord(rs.getLong(1), rs.getLong(2), rs.getString(3),
              rs.getString(4), "", rs.getLong(5), rs.getBoolean(6), false);
          if (!keep.test(r)) {
            gone.add(r.key());
          }
        }
      }
      String[] deletes = {
          "DELETE FROM element_ref WHERE from_key = ? OR to_key = ?",
          "DELETE FROM element_category WHERE element_key = ? OR category_key = ?",
          "DELETE FROM element_resource WHERE element_key = ?",
          "DELETE FROM rule_order WHERE rule_key = ? OR policy_key = ?",
          "DELETE FROM credential WHERE element_key = ?",
          "DELETE FROM element WHERE element_key = ?"};
      for (String sql : deletes) {
        int params = sql.contains(" OR ") ? 2 : 1;
        try (PreparedStatement del = c.prepareStatement(sql)) {
          for (int i = 0; i < gone.size(); i++) {
            for (int p = 1; p <= params; p++) {
              del.setLong(p, gone.get(i));
            }
            del.addBatch();
            if (i % 500 == 499) {
              del.executeBatch();
            }
          }
          del.executeBatch();
        }
      }
      try (Statement st = c.createStatement()) {
        // the changed system properties, the upcoming events and their settings (UpcomingEvents.PREFIX),
        // what the stand-in licence server offers (Licences.SERVER_SETTING)
        st.executeUpdate("DELETE FROM server_setting WHERE name LIKE 'system\\_property.%' ESCAPE '\\'"
            + " OR name LIKE 'upcoming\\_event.%' ESCAPE '\\' OR name LIKE 'licence\\_server.%' ESCAPE '\\'");
      }
      return new Reset(gone.size(), forgetHistory(c));
    }).value();
  }

  /** Empties the change log and the tasks; the head moves one past (see the class comment). */
  private static long forgetHistory(Connection c) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.executeUpdate("DELETE FROM change_log");
      st.executeUpdate("DELETE FROM task");
      st.executeUpdate("UPDATE change_head SET seq = seq + 1 WHERE id = 1");
      try (ResultSet rs = st.executeQuery("SELECT seq FROM change_head WHERE id = 1")) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  /** Writes the state as a snapshot (a consistent one: no write runs meanwhile). */
  public void save(OutputStream out, String heraldVersion, long nowMs) {
    store.writeAlone(tx -> {
      Connection c = tx.connection();
      try (JsonGenerator g = Json.mapper().getFactory().createGenerator(out, JsonEncoding.UTF8)
          .disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET)) {
        g.writeStartObject();
        g.writeStringField("format", FORMAT);
        g.writeNumberField("version", VERSION);
        g.writeStringField("herald", heraldVersion);
        g.writeStringField("saved_at", java.time.Instant.ofEpochMilli(nowMs).toString());
        g.writeObjectFieldStart("tables");
        for (String table : TABLES) {
          writeTable(c, table, g);
        }
        g.writeEndObject();
        g.writeEndObject();
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      return null;
    });
  }

  private static void writeTable(Connection c, String table, JsonGenerator g) throws SQLException, IOException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT * FROM " + table + " ORDER BY 1")) {
      ResultSetMetaData md = rs.getMetaData();
      int n = md.getColumnCount();
      g.writeObjectFieldStart(table);
      g.writeArrayFieldStart("columns");
      for (int i = 1; i <= n; i++) {
        g.writeString(md.getColumnLabel(i).toLowerCase(Locale.ROOT));
      }
      g.writeEndArray();
      g.writeArrayFieldStart("rows");
      while (rs.next()) {
        g.writeStartArray();
        for (int i = 1; i <= n; i++) {
          writeValue(rs, i, md.getColumnType(i), g);
        }
        g.writeEndArray();
      }
      g.writeEndArray();
      g.writeEndObject();
    }
  }

  private static void writeValue(ResultSet rs, int i, int sqlType, JsonGenerator g) throws SQLException, IOException {
    switch (sqlType) {
      case Types.BIGINT, Types.INTEGER, Types.SMALLINT -> {
        long v = rs.getLong(i);
        if (rs.wasNull()) {
          g.writeNull();
        } else {
          g.writeNumber(v);
        }
      }
      case Types.DOUBLE, Types.FLOAT, Types.REAL -> {
        double v = rs.getDouble(i);
        if (rs.wasNull()) {
          g.writeNull();
        } else {
          g.writeNumber(v);
        }
      }
      case Types.BOOLEAN, Types.BIT -> {
        boolean v = rs.getBoolean(i);
        if (rs.wasNull()) {
          g.writeNull();
        } else {
          g.writeBoolean(v);
        }
      }
      case Types.BINARY, Types.VARBINARY, Types.LONGVARBINARY, Types.BLOB -> {
        byte[] v = rs.getBytes(i);
        if (v == null) {
          g.writeNull();
        } else {
          g.writeString(Base64.getEncoder().encodeToString(v));
        }
      }
      default -> {
        String v = rs.getString(i);
        if (v == null) {
          g.writeNull();
        } else {
          g.writeString(v);
        }
      }
    }
  }

  /** A snapshot read and checked, not yet loaded. */
  public record Snapshot(int version, String herald, Map<String, ObjectNode> tables, int elements) {}

  /**
   * Reads and checks a snapshot file without touching the state: its format and version, that
   * every table and column is one this Herald has, that rows have their columns' count, and
   * that every element's type passes {@code knownType}, and that it has Shared Domain (its key is
   * the same in every Herald).
   *
   * @throws HeraldException 400 with what is wrong
   */
  public Snapshot parse(JsonNode root, Predicate<String> knownType, long sharedDomainKey) {
    if (!root.isObject() || !FORMAT.equals(root.path("format").asText(null))) {
      throw bad("It is not a Herald snapshot (no \"format\": \"" + FORMAT + "\").");
    }
    JsonNode v = root.path("version");
    if (!v.canConvertToInt() || !v.isIntegralNumber() || v.asInt() < 1) {
      throw bad("Its \"version\" must be a whole number from 1.");
    }
    if (v.asInt() > VERSION) {
      throw bad("It has format version " + v.asInt() + ", made by a newer Herald ("
          + root.path("herald").asText("?") + "); this one loads versions 1 to " + VERSION + ".");
    }
    JsonNode tables = root.path("tables");
    if (!tables.isObject() || !tables.has("element")) {
      throw bad("It has no \"tables\" object with an \"element\" table.");
    }
    Map<String, Set<String>> schema = schema();
    Map<String, ObjectNode> out = new LinkedHashMap<>();
    for (var it = tables.fields(); it.hasNext(); ) {
      var e = it.next();
      String table = e.getKey();
      if (!TABLES.contains(table)) {
        throw bad("Unknown table \"" + table + "\"; a snapshot holds " + String.join(", ", TABLES) + ".");
      }
      JsonNode t = e.getValue();
      if (!t.path("columns").isArray() || !t.path("rows").isArray()) {
        throw bad("Table " + table + " needs \"columns\" and \"rows\" arrays.");
      }
      List<String> columns = new ArrayList<>();
      for (JsonNode col : t.path("columns")) {
        String name = col.asText("");
        if (!schema.get(table).contains(name) || columns.contains(name)) {
          throw bad("Table " + table + " has an unknown or repeated column \"" + name + "\".");
        }
        columns.add(name);
      }
      int row = 0;
      for (JsonNode r : t.path("rows")) {
        row++;
        if (!r.isArray() || r.size() != columns.size()) {
          throw bad("Row " + row + " of table " + table + " does not have its " + columns.size() + " columns.");
        }
        for (JsonNode cell : r) {
          if (cell.isContainerNode()) {
            throw bad("Row " + row + " of table " + table + " holds an object or array as a value.");
          }
        }
      }
      out.put(table, (ObjectNode) t);
    }
    ObjectNode elements = out.get("element");
    List<String> cols = columnsOf(elements);
    int typeAt = cols.indexOf("type");
    int keyAt = cols.indexOf("element_key");
    int bodyAt = cols.indexOf("body");
    if (typeAt < 0 || keyAt < 0 || bodyAt < 0) {
      throw bad("Table element needs its element_key, type and body columns.");
    }
    boolean shared = false;
    for (JsonNode r : elements.path("rows")) {
      String type = r.get(typeAt).asText();
      if (!knownType.test(type)) {
        throw bad("Element " + r.get(keyAt).asText() + " has type \"" + type
            + "\", which this Herald does not know.");
      }
      try {
        if (!Json.mapper().readTree(r.get(bodyAt).asText()).isObject()) {
          throw bad("Element " + r.get(keyAt).asText() + " has a body that is not a JSON object.");
        }
      } catch (com.fasterxml.jackson.core.JsonProcessingException ex) {
        throw bad("Element " + r.get(keyAt).asText() + " has a body that is not JSON.");
      }
      shared |= r.get(keyAt).asLong() == sharedDomainKey;
    }
    if (!shared) {
      throw bad("It has no Shared Domain (the element with key " + sharedDomainKey + ").");
    }
    return new Snapshot(v.asInt(), root.path("herald").asText(""), out, elements.path("rows").size());
  }

  private static List<String> columnsOf(ObjectNode table) {
    List<String> out = new ArrayList<>();
    table.path("columns").forEach(c -> out.add(c.asText()));
    return out;
  }

  private Map<String, Set<String>> schema() {
    Map<String, Set<String>> out = new LinkedHashMap<>();
    try (Connection c = db.connection(); Statement st = c.createStatement()) {
      for (String table : TABLES) {
        try (ResultSet rs = st.executeQuery("SELECT * FROM " + table + " WHERE 1 = 0")) {
          ResultSetMetaData md = rs.getMetaData();
          Set<String> cols = new java.util.LinkedHashSet<>();
          for (int i = 1; i <= md.getColumnCount(); i++) {
            cols.add(md.getColumnLabel(i).toLowerCase(Locale.ROOT));
          }
          out.put(table, cols);
        }
      }
    } catch (SQLException e) {
      throw db.failure(e);
    }
    return out;
  }

  /**
   * Replaces the state by a parsed snapshot in one transaction: all of it or, when a row does not
   * fit (a broken reference, a duplicate key), none of it (400, the state untouched). Sessions
   * end (their users may be gone); the key counter never goes back.
   *
   * @return the change-log head after the load
   */
  public long load(Snapshot s) {
    long head = store.writeAlone(tx -> {
      Connection c = tx.connection();
      long counter = 0;
      try (Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT next_key FROM key_counter WHERE id = 1")) {
        if (rs.next()) {
          counter = rs.getLong(1);
        }
      }
      try (Statement st = c.createStatement()) {
        for (int i = TABLES.size() - 1; i >= 0; i--) {
          st.executeUpdate("DELETE FROM " + TABLES.get(i));
        }
        st.executeUpdate("DELETE FROM web_session");
      }
      for (String table : TABLES) {
        ObjectNode t = s.tables().get(table);
        if (t != null) {
          insertRows(c, table, t);
        }
      }
      try (Statement st = c.createStatement()) {
        // keys handed out before the load stay taken: none is ever reused
        st.executeUpdate("DELETE FROM key_counter WHERE id <> 1");
        try (ResultSet rs = st.executeQuery("SELECT next_key FROM key_counter WHERE id = 1")) {
          long loaded = rs.next() ? rs.getLong(1) : -1;
          long maxKey = 0;
          try (Statement st2 = c.createStatement();
              ResultSet mk = st2.executeQuery("SELECT MAX(element_key) FROM element")) {
            if (mk.next()) {
              maxKey = mk.getLong(1);
            }
          }
          long next = Math.max(Math.max(counter, loaded), maxKey + 1);
          if (loaded < 0) {
            st.executeUpdate("INSERT INTO key_counter (id, next_key) VALUES (1, " + next + ")");
          } else {
            st.executeUpdate("UPDATE key_counter SET next_key = " + next + " WHERE id = 1");
          }
        }
      }
      return forgetHistory(c);
    }).value();
    store.forgetKeyBlock();
    return head;
  }

  private static void insertRows(Connection c, String table, ObjectNode t) throws SQLException {
    List<String> columns = columnsOf(t);
    int[] types = new int[columns.size()];
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT " + String.join(", ", columns) + " FROM " + table + " WHERE 1 = 0")) {
      for (int i = 0; i < types.length; i++) {
        types[i] = rs.getMetaData().getColumnType(i + 1);
      }
    }
    String sql = "INSERT INTO " + table + " (" + String.join(", ", columns) + ") VALUES ("
        + String.join(", ", java.util.Collections.nCopies(columns.size(), "?")) + ")";
    int row = 0;
    try (PreparedStatement ins = c.prepareStatement(sql)) {
      int pending = 0;
      for (JsonNode r : (ArrayNode) t.path("rows")) {
        row++;
        for (int i = 0; i < types.length; i++) {
          bind(ins, i + 1, types[i], r.get(i), table, row);
        }
        ins.addBatch();
        if (++pending == 500) {
          ins.executeBatch();
          pending = 0;
        }
      }
      if (pending > 0) {
        ins.executeBatch();
      }
    } catch (SQLException e) {
      if (StoreException.isUniqueViolation(e) || "23502".equals(e.getSQLState())
          || "22001".equals(e.getSQLState()) || (e.getSQLState() != null && e.getSQLState().startsWith("23"))) {
        throw bad("Table " + table + " cannot hold its rows: " + firstLine(e.getMessage()));
      }
      throw e;
    }
  }

  private static void bind(PreparedStatement ps, int i, int sqlType, JsonNode v, String table, int row)
      throws SQLException {
    if (v == null || v.isNull()) {
      ps.setNull(i, sqlType);
      return;
    }
    switch (sqlType) {
      case Types.BIGINT, Types.INTEGER, Types.SMALLINT -> {
        if (!v.isIntegralNumber()) {
          throw bad("Row " + row + " of table " + table + ": column " + i + " must be a whole number.");
        }
        ps.setLong(i, v.asLong());
      }
      case Types.DOUBLE, Types.FLOAT, Types.REAL -> {
        if (!v.isNumber()) {
          throw bad("Row " + row + " of table " + table + ": column " + i + " must be a number.");
        }
        ps.setDouble(i, v.asDouble());
      }
      case Types.BOOLEAN, Types.BIT -> {
        if (!v.isBoolean()) {
          throw bad("Row " + row + " of table " + table + ": column " + i + " must be true or false.");
        }
        ps.setBoolean(i, v.asBoolean());
      }
      case Types.BINARY, Types.VARBINARY, Types.LONGVARBINARY, Types.BLOB -> {
        try {
          ps.setBytes(i, Base64.getDecoder().decode(v.asText()));
        } catch (IllegalArgumentException e) {
          throw bad("Row " + row + " of table " + table + ": column " + i + " must be base64.");
        }
      }
      default -> {
        if (!v.isTextual()) {
          throw bad("Row " + row + " of table " + table + ": column " + i + " must be a string.");
        }
        ps.setString(i, v.asText());
      }
    }
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    String line = nl < 0 ? s : s.substring(0, nl);
    return line.length() > 300 ? line.substring(0, 300) + "…" : line;
  }

  private static HeraldException bad(String why) {
    return HeraldException.badRequest("Invalid snapshot.", why);
  }
}
