package dev.herald.server.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;

/** Sessions by the SHA-256 of their id. The id itself is never stored. */
public final class SessionStore {
  private final Database db;

  public SessionStore(Database db) {
    this.db = db;
  }

  public record Row(String idHash, long userKey, long domainKey, long createdMs, long lastSeenMs) {}

  public void insert(Row r) {
    exec(
        "INSERT INTO web_session (id_hash, user_key, domain_key, created_ms, last_seen_ms)"
            + " VALUES (?, ?, ?, ?, ?)",
        ps -> {
          ps.setString(1, r.idHash());
          ps.setLong(2, r.userKey());
          ps.setLong(3, r.domainKey());
          ps.setLong(4, r.createdMs());
          ps.setLong(5, r.lastSeenMs());
        });
  }

  public Optional<Row> find(String idHash) {
    try (Connection c = db.connection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT id_hash, user_key, domain_key, created_ms, last_seen_ms FROM web_session"
                    + " WHERE id_hash = ?")) {
      ps.setString(1, idHash);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next()
            ? Optional.of(
                new Row(rs.getString(1), rs.getLong(2), rs.getLong(3), rs.getLong(4), rs.getLong(5)))
            : Optional.empty();
      }
    } catch (SQLException e) {
      throw db.failure(e);
    }
  }

  /** Which of {@code idHashes} still exist (queried in batches of {@value #BATCH}). */
  public java.util.Set<String> existing(java.util.Collection<String> idHashes) {
    java.util.Set<String> out = new java.util.HashSet<>();
    List<String> all = List.copyOf(idHashes);
    for (int from = 0; from < all.size(); from += BATCH) {
      List<String> part = all.subList(from, Math.min(all.size(), from + BATCH));
      String sql = "SELECT id_hash FROM web_session WHERE id_hash IN ("
          + String.join(", ", java.util.Collections.nCopies(part.size(), "?")) + ")";
      try (Connection c = db.connection();
          PreparedStatement ps = c.prepareStatement(sql)) {
        for (int i = 0; i < part.size(); i++) {
          ps.setString(i + 1, part.get(i));
        }
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(rs.getString(1));
          }
        }
      } catch (SQLException e) {
        throw db.failure(e);
      }
    }
    return out;
  }

  private static final int BATCH = 500;

  /**
   * Records when each session was last seen, in JDBC batches. Rows are updated in id order (two
   * nodes touching the same sessions cannot deadlock) and a time never moves backwards.
   */
  public void touchAll(java.util.Map<String, Long> lastSeenMs) {
    List<java.util.Map.Entry<String, Long>> all = new java.util.ArrayList<>(
        new java.util.TreeMap<>(lastSeenMs).entrySet());
    for (int from = 0; from < all.size(); from += BATCH) {
      try (Connection c = db.connection();
          PreparedStatement ps = c.prepareStatement(
              "UPDATE web_session SET last_seen_ms = GREATEST(last_seen_ms, ?) WHERE id_hash = ?")) {
        for (var e : all.subList(from, Math.min(all.size(), from + BATCH))) {
          ps.setLong(1, e.getValue());
          ps.setString(2, e.getKey());
          ps.addBatch();
        }
        ps.executeBatch();
      } catch (SQLException e) {
        throw db.failure(e);
      }
    }
  }

  public void touch(String idHash, long lastSeenMs) {
    exec(
        "UPDATE web_session SET last_seen_ms = GREATEST(last_seen_ms, ?) WHERE id_hash = ?",
        ps -> {
          ps.setLong(1, lastSeenMs);
          ps.setString(2, idHash);
        });
  }

  /** Deletes the sessions of a user; returns their id hashes. */
  public java.util.Set<String> deleteByUser(long userKey) {
    return deleteWhere("user_key", userKey);
  }

  /** Deletes the sessions working in a domain; returns their id hashes. */
  public java.util.Set<String> deleteByDomain(long domainKey) {
    return deleteWhere("domain_key", domainKey);
  }

  private java.util.Set<String> deleteWhere(String column, long value) {
    java.util.Set<String> out = new java.util.HashSet<>();
    try (Connection c = db.connection()) {
      try (PreparedStatement q = c.prepareStatement("SELECT id_hash FROM web_session WHERE " + column + " = ?")) {
        q.setLong(1, value);
        try (ResultSet rs = q.executeQuery()) {
          while (rs.next()) {
            out.add(rs.getString(1));
          }
        }
      }
      try (PreparedStatement d = c.prepareStatement("DELETE FROM web_session WHERE " + column + " = ?")) {
        d.setLong(1, value);
        d.executeUpdate();
      }
    } catch (SQLException e) {
      throw db.failure(e);
    }
    return out;
  }

  public void delete(String idHash) {
    exec("DELETE FROM web_session WHERE id_hash = ?", ps -> ps.setString(1, idHash));
  }

  /** Deletes sessions idle since {@code idleBefore} or created before {@code createdBefore}. */
  public int deleteExpired(long idleBefore, long createdBefore) {
    return exec(
        "DELETE FROM web_session WHERE last_seen_ms < ? OR created_ms < ?",
        ps -> {
          ps.setLong(1, idleBefore);
          ps.setLong(2, createdBefore);
        });
  }

  public long count() {
    try (Connection c = db.connection();
        PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM web_session");
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      throw db.failure(e);
    }
  }

  @FunctionalInterface
  private interface Binder {
    void bind(PreparedStatement ps) throws SQLException;
  }

  private int exec(String sql, Binder b) {
    try (Connection c = db.connection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      b.bind(ps);
      return ps.executeUpdate();
    } catch (SQLException e) {
      throw db.failure(e);
    }
  }
}
