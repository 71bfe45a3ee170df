package dev.herald.server.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** SMC's tasks in the database: any node answers a task's follower, whichever node runs it. */
public final class TaskStore {
  private static final String COLUMNS = "task_id, domain_key, user_key, task_type, in_progress, success, "
      + "progress, last_message, abort_requested, start_ms, end_ms, resources, result_type";

  private final Database db;

  public TaskStore(Database db) {
    this.db = db;
  }

  /**
   * One task's state (its result, the file it made, is read apart).
   *
   * @param resources a JSON array of element paths ({@code /elements/TYPE/KEY}) it concerns
   */
  public record TaskRow(long id, long domainKey, long userKey, String type, boolean inProgress,
      boolean success, int progress, String lastMessage, boolean abortRequested, long startMs,
      Optional<Long> endMs, String resources, Optional<String> resultType) {}

  public void insert(TaskRow t) {
    try (Connection c = db.connection();
        PreparedStatement ps = c.prepareStatement("INSERT INTO task (" + COLUMNS
            + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
      ps.setLong(1, t.id());
      ps.setLong(2, t.domainKey());
      ps.setLong(3, t.userKey());
      ps.setString(4, t.type());
      ps.setBoolean(5, t.inProgress());
      ps.setBoolean(6, t.success());
      ps.setInt(7, t.progress());
      ps.setString(8, t.lastMessage());
      ps.setBoolean(9, t.abortRequested());
      ps.setLong(10, t.startMs());
      ps.setNull(11, Types.BIGINT);
      ps.setString(12, t.resources());
      ps.setNull(13, Types.VARCHAR);
      ps.executeUpdate();
    } catch (SQLException e) {
      throw db.failure(e);
    }
  }

  /** Progress of a running task. */
  public void progress(long id, int progress, String message) {
    update("UPDATE task SET progress = ?, last_message = ? WHERE task_id = ? AND in_progress = TRUE", ps -> {
      ps.setInt(1, progress);
      ps.setString(2, clip(message));
      ps.setLong(3, id);
    });
  }

  /** The end of a task: its outcome, and the file it made if any. */
  public void finish(long id, boolean success, String message, long endMs, String resultType, byte[] result) {
    update("UPDATE task SET in_progress = FALSE, success = ?, progress = ?, last_message = ?, end_ms = ?, "
        + "result_type = ?, result = ? WHERE task_id = ? AND in_progress = TRUE", ps -> {
          ps.setBoolean(1, success);
          ps.setInt(2, 100);
          ps.setString(3, clip(message));
          ps.setLong(4, endMs);
          if (resultType == null) {
            ps.setNull(5, Types.VARCHAR);
            ps.setNull(6, Types.BINARY);
          } else {
            ps.setString(5, resultType);
            ps.setBytes(6, result);
          }
          ps.setLong(7, id);
        });
  }

  /** Asks a running task to stop; it stops at its next check. */
  public void requestAbort(long id) {
    update("UPDATE task SET abort_requested = TRUE WHERE task_id = ? AND in_progress = TRUE", ps -> ps.setLong(1, id));
  }

  public Optional<TaskRow> find(long id) {
    List<TaskRow> l = query("SELECT " + COLUMNS + " FROM task WHERE task_id = ?", ps -> ps.setLong(1, id));
    return l.stream().findFirst();
  }

  /** A domain's tasks, newest first. */
  public List<TaskRow> list(long domainKey, int limit) {
    return query("SELECT " + COLUMNS + " FROM task WHERE domain_key = ? ORDER BY start_ms DESC, task_id DESC", ps -> {
      ps.setLong(1, domainKey);
      ps.setMaxRows(limit);
    });
  }

  /** The file a finished task made. */
  public Optional<byte[]> result(long id) {
    try (Connection c = db.connection();
        PreparedStatement ps = c.prepareStatement("SELECT result FROM task WHERE task_id = ? AND result IS NOT NULL")) {
      ps.setLong(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(rs.getBytes(1)) : Optional.empty();
      }
    } catch (SQLException e) {
      throw db.failure(e);
    }
  }

  /**
   * Tasks still running that started before {@code startedBefore} end as failed (the node that
   * ran them stopped); finished tasks that ended before {@code endedBefore} are forgotten.
   */
  public void sweep(long startedBefore, long endedBefore, long nowMs, String message) {
    update("UPDATE task SET in_progress = FALSE, success = FALSE, last_message = ?, end_ms = ? "
        + "WHERE in_progress = TRUE AND start_ms < ?", ps -> {
          ps.setString(1, message);
          ps.setLong(2, nowMs);
          ps.setLong(3, startedBefore);
        });
    update("DELETE FROM task WHERE in_progress = FALSE AND end_ms < ?", ps -> ps.setLong(1, endedBefore));
  }

  private interface Binder {
    void bind(PreparedStatement ps) throws SQLException;
  }

  private void update(String sql, Binder b) {
    try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(sql)) {
      b.bind(ps);
      ps.executeUpdate();
    } catch (SQLException e) {
      throw db.failure(e);
    }
  }

  private List<TaskRow> query(String sql, Binder b) {
    try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(sql)) {
      b.bind(ps);
      List<TaskRow> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          long end = rs.getLong(11);
          Optional<Long> endMs = rs.wasNull() ? Optional.empty() : Optional.of(end);
          out.add(new TaskRow(rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getString(4), rs.getBoolean(5),
              rs.getBoolean(6), rs.getInt(7), rs.getString(8), rs.getBoolean(9), rs.getLong(10), endMs,
              rs.getString(12), Optional.ofNullable(rs.getString(13))));
        }
      }
      return out;
    } catch (SQLException e) {
      throw db.failure(e);
    }
  }

  private static String clip(String s) {
    return s == null ? "" : s.length() > 4000 ? s.substring(0, 3997) + "..." : s;
  }
}
