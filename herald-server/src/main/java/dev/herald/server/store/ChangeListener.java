package dev.herald.server.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.postgresql.PGConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * On PostgreSQL, a dedicated connection LISTENs for the commits of every node and wakes this
 * node's change feed. The log table stays the source of truth: a missed notification only
 * delays a change until the feed's next poll. Reconnects with back-off when the database drops.
 */
public final class ChangeListener implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ChangeListener.class);

  private final Database db;
  private final Runnable wake;
  private final Thread thread;
  private volatile boolean running = true;

  private ChangeListener(Database db, Runnable wake) {
    this.db = db;
    this.wake = wake;
    this.thread = Thread.ofPlatform().name("herald-pg-listen").daemon(true).unstarted(this::run);
  }

  /** Starts listening; on a database other than PostgreSQL it does nothing. */
  public static ChangeListener start(Database db, Runnable wake) {
    ChangeListener l = new ChangeListener(db, wake);
    if (db.isPostgres()) {
      l.thread.start();
    }
    return l;
  }

  private void run() {
    long backoffMs = 100;
    while (running) {
      try (Connection c = db.dedicatedConnection()) {
        try (Statement st = c.createStatement()) {
          st.execute("LISTEN " + Database.CHANGES_CHANNEL);
        }
        PGConnection pg = c.unwrap(PGConnection.class);
        backoffMs = 100;
        wake.run(); // catch up on whatever committed while not listening
        while (running) {
          var notes = pg.getNotifications(1_000);
          if (notes != null && notes.length > 0) {
            wake.run();
          }
        }
      } catch (SQLException e) {
        if (running) {
          LOG.warn("LISTEN connection lost (retrying in {} ms): {}", backoffMs, e.toString());
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(backoffMs));
          backoffMs = Math.min(backoffMs * 2, 1_000);
        }
      }
    }
  }

  @Override
  public void close() throws InterruptedException {
    running = false;
    thread.interrupt();
    if (thread.isAlive()) {
      thread.join(3_000);
    }
  }
}
