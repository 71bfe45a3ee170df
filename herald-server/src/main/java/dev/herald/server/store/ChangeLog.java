package dev.herald.server.store;

import dev.herald.protocol.EventType;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The durable change log: appended inside element write transactions, read in seq order by the
 * change feed and resumes, pruned by retention. Thread-safe; reads use connections of their own.
 */
public final class ChangeLog {
  private final Database db;

  public ChangeLog(Database db) {
    this.db = db;
  }

  /**
   * Appends a committing transaction's changes (called by the element store inside its write
   * transaction). Returns the highest seq written.
   *
   * <p>Seq order equals commit order: the rows are numbered while holding the {@code change_head}
   * row lock (taken by an UPDATE as the last statement of the transaction) and the lock is held
   * until commit, so once a reader sees seq N, every seq below N is committed.
   */
  long append(Connection c, List<Change.Pending> changes, long now) throws SQLException {
    long head;
    try (PreparedStatement up =
        c.prepareStatement("UPDATE change_head SET seq = seq + ? WHERE id = 1")) {
      up.setLong(1, changes.size());
      up.executeUpdate();
    }
    try (PreparedStatement q = c.prepareStatement("SELECT seq FROM change_head WHERE id = 1");
        ResultSet rs = q.executeQuery()) {
      rs.next();
      head = rs.getLong(1);
    }
    long seq = head - changes.size();
    try (PreparedStatement ins =
        c.prepareStatement(
            "INSERT INTO change_log (seq, domain_key, type, element_key, name, action, at_millis,"
                + " actor, parent, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?,"
                // the element's body as this transaction leaves it (a primary-key lookup)
                + " (SELECT body FROM element WHERE element_key = ? AND ?))")) {
      for (Change.Pending p : changes) {
        ins.setLong(1, ++seq);
        ins.setLong(2, p.domainKey());
        ins.setString(3, p.type());
        ins.setLong(4, p.elementKey());
        ins.setString(5, p.name());
        ins.setString(6, p.action().wire());
        ins.setLong(7, now);
        ins.setString(8, p.actor());
        ins.setString(9, p.parent());
        ins.setLong(10, p.elementKey());
        // status changes keep no body: they are frequent and the element did not change
        ins.setBoolean(11, p.action() != EventType.STATUS);
        ins.addBatch();
      }
      ins.executeBatch();
    }
    return head;
  }

  /**
   * A retained change with the element's body as it was then: after a create or update its body
   * then; for a delete (or a trash without a body) the body of the element's last change before
   * it, {@code bodySeq} naming that change; none for a status change.
   */
  public record Recorded(Change change, java.util.Optional<String> body, long bodySeq) {}

  /** The change {@code seq}, if the log still holds it. */
  public java.util.Optional<Recorded> recorded(long seq) {
    try (Connection c = db.connection();
        PreparedStatement ps = c.prepareStatement(
            "SELECT seq, domain_key, type, element_key, name, action, at_millis, actor, parent, body"
                + " FROM change_log WHERE seq = ?")) {
      ps.setLong(1, seq);
      Change change;
      String body;
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return java.util.Optional.empty();
        }
        change = new Change(rs.getLong(1), rs.getLong(2), rs.getString(3), rs.getLong(4), rs.getString(5),
            EventType.fromWire(rs.getString(6)).orElseThrow(), rs.getLong(7), rs.getString(8), rs.getString(9));
        body = rs.getString(10);
      }
      if (body != null || change.action() == EventType.STATUS) {
        return java.util.Optional.of(new Recorded(change, java.util.Optional.ofNullable(body), body == null ? 0 : seq));
      }
      try (PreparedStatement before = c.prepareStatement(
          "SELECT seq, body FROM change_log WHERE element_key = ? AND seq < ? AND body IS NOT NULL"
              + " ORDER BY seq DESC LIMIT 1")) {
        before.setLong(1, change.elementKey());
        before.setLong(2, seq);
        try (ResultSet rs = before.executeQuery()) {
          return java.util.Optional.of(rs.next()
              ? new Recorded(change, java.util.Optional.of(rs.getString(2)), rs.getLong(1))
              : new Recorded(change, java.util.Optional.empty(), 0));
        }
      }
    } catch (SQLException e) {
      throw db.failure(e);
    }
  }

  /** Committed changes with seq &gt; {@code after}, in seq order, at most {@code limit}. */
  public List<Change> readAfter(long after, int limit) {
    try (Connection c = db.connection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT seq, domain_key, type, element_key, name, action, at_millis, actor, parent"
                    + " FROM change_log WHERE seq > ? ORDER BY seq LIMIT ?")) {
      ps.setLong(1, after);
      ps.setInt(2, limit);
      List<Change> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(
              new Change(
                  rs.getLong(1),
                  rs.getLong(2),
                  rs.getString(3),
                  rs.getLong(4),
                  rs.getString(5),
                  EventType.fromWire(rs.getString(6)).orElseThrow(),
                  rs.getLong(7),
                  rs.getString(8),
                  rs.getString(9)));
        }
      }
      return out;
    } catch (SQLException e) {
      throw db.failure(e);
    }
  }

  /** The highest committed seq (0 when nothing was ever written). */
  public long head() {
    return single("SELECT seq FROM change_head WHERE id = 1", 0);
  }

  private final java.util.concurrent.locks.ReentrantLock headRead = new java.util.concurrent.locks.ReentrantLock();
  private java.util.concurrent.CompletableFuture<Long> nextHead; // guarded by this

  /**
   * {@link #head()} read after this call began, shared by concurrent callers: one query at a
   * time, and every caller waiting for the next query gets its answer. (A thousand sockets
   * subscribing at once cost two or three queries instead of a thousand pool waits.)
   */
  public long freshHead() {
    java.util.concurrent.CompletableFuture<Long> mine;
    boolean leader = false;
    synchronized (this) {
      if (nextHead == null) {
        nextHead = new java.util.concurrent.CompletableFuture<>();
        leader = true;
      }
      mine = nextHead;
    }
    if (leader) {
      headRead.lock();
      try {
        synchronized (this) {
          nextHead = null; // later callers wait for a query that starts after this one
        }
        mine.complete(head());
      } catch (RuntimeException | Error e) {
        mine.completeExceptionally(e);
      } finally {
        headRead.unlock();
      }
    }
    try {
      return mine.join();
    } catch (java.util.concurrent.CompletionException e) {
      throw e.getCause() instanceof RuntimeException re ? re : e;
    }
  }

  /**
   * The oldest seq still retained. When the log is empty (all pruned, or nothing written) this
   * is {@code head() + 1}: a client at position {@code head()} has missed nothing.
   */
  public long oldestRetained() {
    try (Connection c = db.connection()) {
      c.setAutoCommit(false);
      try {
        long min = single(c, "SELECT MIN(seq) FROM change_log", 0);
        long head = single(c, "SELECT seq FROM change_head WHERE id = 1", 0);
        c.commit();
        return min > 0 ? min : head + 1;
      } catch (SQLException e) {
        c.rollback();
        throw e;
      }
    } catch (SQLException e) {
      throw db.failure(e);
    }
  }

  /**
   * Deletes changes older than {@code olderThanMillis} and all but the newest {@code keep}.
   *
   * @return the number of rows deleted
   */
  public int prune(long olderThanMillis, long keep) {
    try (Connection c = db.connection()) {
      long head = single(c, "SELECT seq FROM change_head WHERE id = 1", 0);
      int deleted = 0;
      // Delete in bounded batches so a large prune never holds long locks.
      while (true) {
        int n;
        try (PreparedStatement ps =
            c.prepareStatement(
                "DELETE FROM change_log WHERE seq IN (SELECT seq FROM change_log"
                    + " WHERE at_millis < ? OR seq <= ? ORDER BY seq LIMIT 10000)")) {
          ps.setLong(1, olderThanMillis);
          ps.setLong(2, head - keep);
          n = ps.executeUpdate();
        }
        deleted += n;
        if (n < 10000) {
          return deleted;
        }
      }
    } catch (SQLException e) {
      throw db.failure(e);
    }
  }

  private long single(String sql, long dflt) {
    try (Connection c = db.connection()) {
      return single(c, sql, dflt);
    } catch (SQLException e) {
      throw db.failure(e);
    }
  }

  private static long single(Connection c, String sql, long dflt) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql);
        ResultSet rs = ps.executeQuery()) {
      if (rs.next()) {
        long v = rs.getLong(1);
        return rs.wasNull() ? dflt : v;
      }
      return dflt;
    }
  }
}
