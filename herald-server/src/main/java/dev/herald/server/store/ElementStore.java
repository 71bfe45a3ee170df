package dev.herald.server.store;

import dev.herald.server.HeraldException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.LockSupport;

/**
 * Elements and the change log, over JDBC. Every write runs in one transaction that also appends
 * its change rows; a change exists iff its transaction committed.
 *
 * <p>The change rows are appended by the {@link ChangeLog} inside the same transaction (see its
 * {@code append} for why seq order equals commit order). Within one process writes are grouped
 * (see {@link #write}), so one transaction at a time writes.
 */
public final class ElementStore {
  private static final String COLUMNS =
      "element_key, domain_key, type, name, body, version, trashed, system_elem";

  private final Database db;
  private final InstantSource clock;
  private final ChangeLog changeLog;
  private final ReentrantLock commitLock = new ReentrantLock();
  private final KeyAllocator keys;
  private volatile java.util.function.Consumer<List<Change>> onCommit = changes -> {};
  private final java.util.function.Predicate<String> namesUnique;

  public ElementStore(Database db, InstantSource clock, ChangeLog changeLog) {
    this(db, clock, changeLog, type -> true);
  }

  /**
   * @param namesUnique whether elements of a type have unique names in their domain (rules do
   *     not: theirs are unique by key)
   */
  public ElementStore(Database db, InstantSource clock, ChangeLog changeLog,
      java.util.function.Predicate<String> namesUnique) {
    this.db = db;
    this.clock = clock;
    this.changeLog = changeLog;
    this.keys = new KeyAllocator(db);
    this.namesUnique = namesUnique;
  }

  /** The value the (domain, type, name) uniqueness holds: the name, or "@key" for a rule. */
  private String nameKey(ElementRecord e) {
    return namesUnique.test(e.type()) ? e.name() : "@" + e.key();
  }

  /** The change log this store appends to. */
  public ChangeLog changeLog() {
    return changeLog;
  }

  /**
   * Called after every commit that wrote changes, with them in seq order, on the committing
   * thread once it no longer holds up other commits.
   */
  public void onCommit(java.util.function.Consumer<List<Change>> listener) {
    this.onCommit = listener;
  }

  /** The work of one write transaction. It may throw HeraldException to roll back. */
  @FunctionalInterface
  public interface Work<T> {
    T run(WriteTx tx) throws SQLException;
  }

  /** A write and the seq of its last change (0 when it recorded none). */
  public record Committed<T>(T value, long lastSeq) {}

  public long newKey() {
    return keys.next();
  }

  /** Drops the block of keys reserved from the counter (after a snapshot load moved it). */
  void forgetKeyBlock() {
    keys.forget();
  }

  /**
   * Runs {@code work} in a write transaction and returns once it is committed.
   *
   * <p>Group commit: concurrent writes queue up; one of the waiting threads (the leader, holding
   * {@code commitLock}) runs a batch of them in one database transaction, each inside its own
   * savepoint so a failing write rolls back alone, then numbers all their changes and commits
   * once. Durability costs one file write per batch instead of one per write.
   */
  public <T> Committed<T> write(Work<T> work) {
    return write(work, false);
  }

  /**
   * A write that runs in a transaction of its own, never batched with others (a reset or a
   * snapshot load replaces the whole state: no other write may share its transaction).
   */
  public <T> Committed<T> writeAlone(Work<T> work) {
    return write(work, true);
  }

  private <T> Committed<T> write(Work<T> work, boolean alone) {
    Pending<T> p = new Pending<>(work, Thread.currentThread(), alone);
    queue.add(p);
    while (!p.done) {
      if (commitLock.tryLock()) {
        List<List<Change>> committed = new ArrayList<>(1);
        try {
          while (!p.done) {
            runBatch(committed);
          }
        } finally {
          commitLock.unlock();
          Pending<?> next = queue.peek();
          if (next != null) {
            LockSupport.unpark(next.thread); // hand leadership on, whatever happened
          }
        }
        // told outside the lock: whatever the listener does (a fan-out) holds up no commit
        for (List<Change> changes : committed) {
          onCommit.accept(changes);
        }
      } else {
        LockSupport.park(this);
      }
    }
    if (p.error != null) {
      throw p.error;
    }
    return new Committed<>(p.value, p.lastSeq);
  }

  private static final int MAX_BATCH = 256;

  private final java.util.concurrent.ConcurrentLinkedQueue<Pending<?>> queue =
      new java.util.concurrent.ConcurrentLinkedQueue<>();

  /** One queued write. Fields are written by the leader before {@code done} (volatile). */
  private static final class Pending<T> {
    final Work<T> work;
    final Thread thread;
    final boolean alone;
    T value;
    RuntimeException error;
    long lastSeq;
    volatile boolean done;

    Pending(Work<T> work, Thread thread, boolean alone) {
      this.work = work;
      this.thread = thread;
      this.alone = alone;
    }

    void run(WriteTx tx) throws SQLException {
      value = work.run(tx);
    }
  }

  /**
   * Leader only (holds commitLock): one transaction for up to MAX_BATCH queued writes; the
   * changes it committed, in seq order, are added to {@code committed}.
   */
  private void runBatch(List<List<Change>> committed) {
    List<Pending<?>> batch = new ArrayList<>();
    Pending<?> next;
    // only the leader polls, so what peek() saw is what poll() takes
    while (batch.size() < MAX_BATCH && (next = queue.peek()) != null) {
      if (next.alone && !batch.isEmpty()) {
        break;
      }
      batch.add(queue.poll());
      if (next.alone) {
        break;
      }
    }
    if (batch.isEmpty()) {
      return;
    }
    List<Pending<?>> ok = new ArrayList<>();
    List<List<Change.Pending>> changes = new ArrayList<>();
    List<Change.Pending> all = new ArrayList<>();
    long last = 0;
    long now = clock.millis();
    try (Connection c = db.connection()) {
      c.setAutoCommit(false);
      try {
        for (Pending<?> p : batch) {
          java.sql.Savepoint sp = batch.size() > 1 ? c.setSavepoint() : null;
          WriteTx tx = new WriteTx(c, this::nameKey);
          try {
            p.run(tx);
            ok.add(p);
            changes.add(tx.changes);
          } catch (SQLException | RuntimeException e) {
            if (sp == null) {
              throw e;
            }
            c.rollback(sp);
            p.error = e instanceof SQLException sql ? db.failure(sql) : (RuntimeException) e;
          }
        }
        changes.forEach(all::addAll);
        if (!all.isEmpty()) {
          last = changeLog.append(c, all, now);
          if (db.isPostgres()) {
            // delivered at commit to every node's LISTEN connection: it only wakes their feeds
            try (java.sql.Statement st = c.createStatement()) {
              st.execute("NOTIFY " + Database.CHANGES_CHANNEL);
            }
          }
          long seq = last - all.size();
          for (int i = 0; i < ok.size(); i++) {
            seq += changes.get(i).size();
            ok.get(i).lastSeq = changes.get(i).isEmpty() ? 0 : seq;
          }
        }
        c.commit();
      } catch (SQLException | RuntimeException | Error e) {
        rollbackQuietly(c);
        throw e;
      }
    } catch (Throwable e) {
      // nothing of this batch committed: every write in it fails (an Error too, never a
      // false success)
      RuntimeException mapped = e instanceof SQLException sql ? db.failure(sql)
          : e instanceof RuntimeException re ? re
          : new IllegalStateException("write failed: " + e, e);
      last = 0; // nothing committed: nothing to tell
      for (Pending<?> p : batch) {
        if (p.error == null) {
          p.error = mapped;
        }
      }
      ok.clear();
    } finally {
      for (Pending<?> p : batch) {
        p.done = true;
        LockSupport.unpark(p.thread);
      }
    }
    if (last > 0) {
      List<Change> done = new ArrayList<>(all.size());
      long seq = last - all.size();
      for (Change.Pending cp : all) {
        done.add(new Change(++seq, cp.domainKey(), cp.type(), cp.elementKey(), cp.name(), cp.action(), now,
            cp.actor(), cp.parent()));
      }
      committed.add(done);
    }
  }

  private static void rollbackQuietly(Connection c) {
    try {
      c.rollback();
    } catch (SQLException ignored) {
      // the connection is broken; the pool discards it
    }
  }

  /** The statements a write transaction may run. Not thread-safe; lives inside {@link #write}. */
  public static final class WriteTx {
    private final Connection c;
    private final List<Change.Pending> changes = new ArrayList<>();
    private final java.util.function.Function<ElementRecord, String> nameKeys;

    private WriteTx(Connection c, java.util.function.Function<ElementRecord, String> nameKeys) {
      this.c = c;
      this.nameKeys = nameKeys;
    }

    private String nameKey(ElementRecord e) {
      return nameKeys.apply(e);
    }

    public void record(Change.Pending change) {
      changes.add(change);
    }

    /** The transaction's connection, for the whole-state work of {@link StateStore}. */
    Connection connection() {
      return c;
    }

    /** Reads an element inside the transaction, locking its row until commit. */
    public Optional<ElementRecord> lock(long key) throws SQLException {
      try (PreparedStatement q =
          c.prepareStatement("SELECT " + COLUMNS + " FROM element WHERE element_key = ? FOR UPDATE")) {
        q.setLong(1, key);
        try (ResultSet rs = q.executeQuery()) {
          return rs.next() ? Optional.of(read(rs)) : Optional.empty();
        }
      }
    }

    /** Inserts; a duplicate (domain, type, name) raises 400 with SMC's wording. */
    public void insert(ElementRecord e, String searchText) throws SQLException {
      try (PreparedStatement ins =
          c.prepareStatement(
              "INSERT INTO element (" + COLUMNS + ", search_text, name_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
        ins.setLong(1, e.key());
        ins.setLong(2, e.domainKey());
        ins.setString(3, e.type());
        ins.setString(4, e.name());
        ins.setString(5, e.body());
        ins.setLong(6, e.version());
        ins.setBoolean(7, e.trashed());
        ins.setBoolean(8, e.system());
        ins.setString(9, searchText);
        ins.setString(10, nameKey(e));
        ins.executeUpdate();
      } catch (SQLException ex) {
        throw duplicateOr(ex, e.name());
      }
    }

    public void update(ElementRecord e, String searchText) throws SQLException {
      try (PreparedStatement up =
          c.prepareStatement(
              "UPDATE element SET name = ?, body = ?, version = ?, trashed = ?, search_text = ?, name_key = ?"
                  + " WHERE element_key = ?")) {
        up.setString(1, e.name());
        up.setString(2, e.body());
        up.setLong(3, e.version());
        up.setBoolean(4, e.trashed());
        up.setString(5, searchText);
        up.setString(6, nameKey(e));
        up.setLong(7, e.key());
        up.executeUpdate();
      } catch (SQLException ex) {
        throw duplicateOr(ex, e.name());
      }
    }

    /** Moves an element to or from the trash (its fields, and so its search text, stay). */
    public void setTrashed(ElementRecord e) throws SQLException {
      try (PreparedStatement up =
          c.prepareStatement("UPDATE element SET trashed = ?, version = ? WHERE element_key = ?")) {
        up.setBoolean(1, e.trashed());
        up.setLong(2, e.version());
        up.setLong(3, e.key());
        up.executeUpdate();
      }
    }

    public void delete(long key) throws SQLException {
      for (String sql : List.of("DELETE FROM element WHERE element_key = ?",
          "DELETE FROM element_ref WHERE from_key = ?",
          "DELETE FROM element_category WHERE element_key = ? OR category_key = ?",
          "DELETE FROM element_resource WHERE element_key = ?",
          "DELETE FROM rule_order WHERE rule_key = ?")) {
        try (PreparedStatement del = c.prepareStatement(sql)) {
          del.setLong(1, key);
          if (sql.contains("OR")) {
            del.setLong(2, key);
          }
          del.executeUpdate();
        }
      }
    }

    /** Puts a rule at {@code rank} in its policy's collection (or moves it there). */
    public void placeRule(long ruleKey, long policyKey, String collection, double rank) throws SQLException {
      try (PreparedStatement up = c.prepareStatement("UPDATE rule_order SET rank_value = ? WHERE rule_key = ?")) {
        up.setDouble(1, rank);
        up.setLong(2, ruleKey);
        if (up.executeUpdate() == 1) {
          return;
        }
      }
      try (PreparedStatement ins = c.prepareStatement(
          "INSERT INTO rule_order (rule_key, policy_key, collection, rank_value) VALUES (?, ?, ?, ?)")) {
        ins.setLong(1, ruleKey);
        ins.setLong(2, policyKey);
        ins.setString(3, collection);
        ins.setDouble(4, rank);
        ins.executeUpdate();
      }
    }

    /**
     * The ranks around a place in a collection, read under this transaction: the greatest below
     * {@code rank} (or -infinity) and the least above it (or +infinity), other than {@code except}.
     */
    public double[] ranksAround(long policyKey, String collection, double rank, boolean below, long except)
        throws SQLException {
      String sql = below
          ? "SELECT MAX(rank_value) FROM rule_order WHERE policy_key = ? AND collection = ? AND rank_value < ? AND rule_key <> ?"
          : "SELECT MIN(rank_value) FROM rule_order WHERE policy_key = ? AND collection = ? AND rank_value > ? AND rule_key <> ?";
      try (PreparedStatement q = c.prepareStatement(sql)) {
        q.setLong(1, policyKey);
        q.setString(2, collection);
        q.setDouble(3, rank);
        q.setLong(4, except);
        try (ResultSet rs = q.executeQuery()) {
          rs.next();
          double v = rs.getDouble(1);
          return new double[] {rs.wasNull() ? (below ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY) : v};
        }
      }
    }

    /** A rule's place as this transaction sees it. */
    public Optional<RulePlace> rulePlace(long ruleKey) throws SQLException {
      try (PreparedStatement q = c.prepareStatement(
          "SELECT policy_key, collection, rank_value FROM rule_order WHERE rule_key = ?")) {
        q.setLong(1, ruleKey);
        try (ResultSet rs = q.executeQuery()) {
          return rs.next() ? Optional.of(new RulePlace(ruleKey, rs.getLong(1), rs.getString(2), rs.getDouble(3)))
              : Optional.empty();
        }
      }
    }

    /** The lowest and highest rank of a collection (NaN when it is empty). */
    public double[] rankBounds(long policyKey, String collection) throws SQLException {
      try (PreparedStatement q = c.prepareStatement(
          "SELECT MIN(rank_value), MAX(rank_value) FROM rule_order WHERE policy_key = ? AND collection = ?")) {
        q.setLong(1, policyKey);
        q.setString(2, collection);
        try (ResultSet rs = q.executeQuery()) {
          rs.next();
          double lo = rs.getDouble(1);
          if (rs.wasNull()) {
            return new double[] {Double.NaN, Double.NaN};
          }
          return new double[] {lo, rs.getDouble(2)};
        }
      }
    }

    /** Every rule of a policy (all its collections). */
    public List<Long> rulesOf(long policyKey) throws SQLException {
      try (PreparedStatement q = c.prepareStatement("SELECT rule_key FROM rule_order WHERE policy_key = ?")) {
        q.setLong(1, policyKey);
        List<Long> out = new ArrayList<>();
        try (ResultSet rs = q.executeQuery()) {
          while (rs.next()) {
            out.add(rs.getLong(1));
          }
        }
        return out;
      }
    }

    /** Replaces the outgoing references of {@code from}. */
    public void setReferences(long from, Collection<Long> to) throws SQLException {
      try (PreparedStatement del = c.prepareStatement("DELETE FROM element_ref WHERE from_key = ?")) {
        del.setLong(1, from);
        del.executeUpdate();
      }
      if (to.isEmpty()) {
        return;
      }
      try (PreparedStatement ins =
          c.prepareStatement("INSERT INTO element_ref (from_key, to_key) VALUES (?, ?)")) {
        for (long t : to.stream().distinct().toList()) {
          ins.setLong(1, from);
          ins.setLong(2, t);
          ins.addBatch();
        }
        ins.executeBatch();
      }
    }

    /** Keys of the elements {@code from} references. */
    public List<Long> references(long from) throws SQLException {
      try (PreparedStatement q = c.prepareStatement("SELECT to_key FROM element_ref WHERE from_key = ?")) {
        q.setLong(1, from);
        List<Long> out = new ArrayList<>();
        try (ResultSet rs = q.executeQuery()) {
          while (rs.next()) {
            out.add(rs.getLong(1));
          }
        }
        return out;
      }
    }

    /** Keys of the elements that reference {@code key}. */
    public List<Long> referrers(long key) throws SQLException {
      return ElementStore.referrers(c, key);
    }

    /**
     * Stores a user's secret (replacing any): its salted hash, and for an API key its lookup
     * (null for a password).
     */
    public void saveCredential(long key, String kind, String hash, String lookup) throws SQLException {
      try (PreparedStatement del = c.prepareStatement("DELETE FROM credential WHERE element_key = ?")) {
        del.setLong(1, key);
        del.executeUpdate();
      }
      try (PreparedStatement ins =
          c.prepareStatement(
              "INSERT INTO credential (element_key, kind, secret_hash, lookup) VALUES (?, ?, ?, ?)")) {
        ins.setLong(1, key);
        ins.setString(2, kind);
        ins.setString(3, hash);
        ins.setString(4, lookup);
        ins.executeUpdate();
      }
    }

    /** Records who created or last changed an element, and when (its history link). */
    public void stamp(long key, boolean created, long userKey, long ms) throws SQLException {
      String sql = created
          ? "UPDATE element SET created_ms = ?, created_by = ?, modified_ms = ?, modified_by = ? WHERE element_key = ?"
          : "UPDATE element SET modified_ms = ?, modified_by = ? WHERE element_key = ?";
      try (PreparedStatement up = c.prepareStatement(sql)) {
        int i = 1;
        if (created) {
          up.setLong(i++, ms);
          up.setLong(i++, userKey);
        }
        up.setLong(i++, ms);
        up.setLong(i++, userKey);
        up.setLong(i, key);
        up.executeUpdate();
      }
    }

    /** Puts an element in a category tag (or takes it out). */
    public void categorize(long categoryKey, long elementKey, boolean add) throws SQLException {
      try (PreparedStatement d = c.prepareStatement(
          "DELETE FROM element_category WHERE category_key = ? AND element_key = ?")) {
        d.setLong(1, categoryKey);
        d.setLong(2, elementKey);
        d.executeUpdate();
      }
      if (add) {
        try (PreparedStatement i = c.prepareStatement(
            "INSERT INTO element_category (category_key, element_key) VALUES (?, ?)")) {
          i.setLong(1, categoryKey);
          i.setLong(2, elementKey);
          i.executeUpdate();
        }
      }
    }

    /** The content behind one of an element's links, as this transaction sees it (its own writes too). */
    public Optional<String> resource(long key, String rel) throws SQLException {
      try (PreparedStatement q = c.prepareStatement("SELECT content FROM element_resource WHERE element_key = ? AND rel = ?")) {
        q.setLong(1, key);
        q.setString(2, rel);
        try (ResultSet rs = q.executeQuery()) {
          return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
        }
      }
    }

    /** Forgets the content behind one of an element's links. */
    public void deleteResource(long key, String rel) throws SQLException {
      try (PreparedStatement d = c.prepareStatement("DELETE FROM element_resource WHERE element_key = ? AND rel = ?")) {
        d.setLong(1, key);
        d.setString(2, rel);
        d.executeUpdate();
      }
    }

    /** Stores the content behind one of an element's links. */
    public void putResource(long key, String rel, String content) throws SQLException {
      try (PreparedStatement d = c.prepareStatement("DELETE FROM element_resource WHERE element_key = ? AND rel = ?")) {
        d.setLong(1, key);
        d.setString(2, rel);
        d.executeUpdate();
      }
      try (PreparedStatement i = c.prepareStatement(
          "INSERT INTO element_resource (element_key, rel, content) VALUES (?, ?, ?)")) {
        i.setLong(1, key);
        i.setString(2, rel);
        i.setString(3, content);
        i.executeUpdate();
      }
    }

    /** Whether another credential has this lookup (the same API key). */
    public boolean lookupTaken(String lookup, long except) throws SQLException {
      try (PreparedStatement q = c.prepareStatement(
          "SELECT element_key FROM credential WHERE lookup = ? AND element_key <> ?")) {
        q.setString(1, lookup);
        q.setLong(2, except);
        try (ResultSet rs = q.executeQuery()) {
          return rs.next();
        }
      }
    }

    /** Elements of a domain (to refuse deleting a domain that still holds some). */
    public long countInDomain(long domainKey) throws SQLException {
      try (PreparedStatement q = c.prepareStatement("SELECT COUNT(*) FROM element WHERE domain_key = ?")) {
        q.setLong(1, domainKey);
        try (ResultSet rs = q.executeQuery()) {
          rs.next();
          return rs.getLong(1);
        }
      }
    }

    private static SQLException duplicateOr(SQLException ex, String name) {
      if (StoreException.isUniqueViolation(ex)) {
        throw HeraldException.badRequest(
            "Impossible to store the element " + name + ".",
            "Element name " + name + " is already used.");
      }
      return ex;
    }
  }

  static List<Long> referrers(Connection c, long key) throws SQLException {
    try (PreparedStatement q =
        c.prepareStatement("SELECT from_key FROM element_ref WHERE to_key = ? ORDER BY from_key")) {
      q.setLong(1, key);
      List<Long> out = new ArrayList<>();
      try (ResultSet rs = q.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getLong(1));
        }
      }
      return out;
    }
  }

  /** A rule's place: its policy, collection and rank. */
  public record RulePlace(long ruleKey, long policyKey, String collection, double rank) {}

  public Optional<RulePlace> rulePlace(long ruleKey) {
    try (Connection c = db.connection();
        PreparedStatement q = c.prepareStatement(
            "SELECT policy_key, collection, rank_value FROM rule_order WHERE rule_key = ?")) {
      q.setLong(1, ruleKey);
      try (ResultSet rs = q.executeQuery()) {
        return rs.next() ? Optional.of(new RulePlace(ruleKey, rs.getLong(1), rs.getString(2), rs.getDouble(3)))
            : Optional.empty();
      }
    } catch (SQLException e) {
      throw db.failure(e);
    }
  }

  /** A collection's rules in order (rank, then key), with their elements. */
  public List<ElementRecord> rules(long policyKey, String collection) {
    return query("SELECT " + prefixed("e") + " FROM rule_order r JOIN element e ON e.element_key = r.rule_key"
        + " WHERE r.policy_key = ? AND r.collection = ? ORDER BY r.rank_value, r.rule_key", ps -> {
          ps.setLong(1, policyKey);
          ps.setString(2, collection);
        }, Integer.MAX_VALUE);
  }

  /** At most {@code limit} rules of a collection ranked above {@code rank}, in order. */
  public List<ElementRecord> rulesAfter(long policyKey, String collection, double rank, int limit) {
    return query("SELECT " + prefixed("e") + " FROM rule_order r JOIN element e ON e.element_key = r.rule_key"
        + " WHERE r.policy_key = ? AND r.collection = ? AND r.rank_value > ? ORDER BY r.rank_value, r.rule_key", ps -> {
          ps.setLong(1, policyKey);
          ps.setString(2, collection);
          ps.setDouble(3, rank);
        }, limit);
  }

  /** A policy's rules of every collection, for search_rule. */
  public List<ElementRecord> rulesOfPolicy(long policyKey) {
    return query("SELECT " + prefixed("e") + " FROM rule_order r JOIN element e ON e.element_key = r.rule_key"
        + " WHERE r.policy_key = ? ORDER BY r.collection, r.rank_value, r.rule_key", ps -> ps.setLong(1, policyKey),
        Integer.MAX_VALUE);
  }

  private static String prefixed(String alias) {
    StringBuilder sb = new StringBuilder();
    for (String col : COLUMNS.split(",")) {
      sb.append(sb.isEmpty() ? "" : ", ").append(alias).append('.').append(col.strip());
    }
    return sb.toString();
  }

  public Optional<ElementRecord> find(long key) {
    return query(
        "SELECT " + COLUMNS + " FROM element WHERE element_key = ?",
        ps -> ps.setLong(1, key),
        1).stream().findFirst();
  }

  public List<ElementRecord> findAll(Collection<Long> keys) {
    List<ElementRecord> out = new ArrayList<>();
    for (long k : keys) {
      find(k).ifPresent(out::add);
    }
    return out;
  }

  public Optional<ElementRecord> findByName(long domain, String type, String name) {
    return query(
        "SELECT " + COLUMNS + " FROM element WHERE domain_key = ? AND type = ? AND name = ?",
        ps -> {
          ps.setLong(1, domain);
          ps.setString(2, type);
          ps.setString(3, name);
        },
        1).stream().findFirst();
  }

  /** Every element of a domain, trashed ones too, in key order. */
  public List<ElementRecord> listInDomain(long domain) {
    return query(
        "SELECT " + COLUMNS + " FROM element WHERE domain_key = ? ORDER BY element_key",
        ps -> ps.setLong(1, domain),
        Integer.MAX_VALUE);
  }

  /** The system (built-in) elements of a domain. */
  public List<ElementRecord> systemElements(long domain) {
    return query(
        "SELECT " + COLUMNS + " FROM element WHERE domain_key = ? AND system_elem = TRUE",
        ps -> ps.setLong(1, domain),
        Integer.MAX_VALUE);
  }

  public List<ElementRecord> listByType(String type) {
    return query(
        "SELECT " + COLUMNS + " FROM element WHERE type = ? ORDER BY element_key",
        ps -> ps.setString(1, type),
        Integer.MAX_VALUE);
  }

  public List<Long> referrers(long key) {
    try (Connection c = db.connection()) {
      return referrers(c, key);
    } catch (SQLException e) {
      throw db.failure(e);
    }
  }

  /** Untrashed elements matching {@code q}, ordered by type then name. */
  public List<ElementRecord> search(SearchQuery q) {
    StringBuilder sql =
        new StringBuilder("SELECT " + COLUMNS + " FROM element WHERE trashed = FALSE");
    List<Object> args = new ArrayList<>();
    sql.append(" AND domain_key IN (").append(placeholders(q.domains().size())).append(')');
    args.addAll(q.domains());
    if (!q.types().isEmpty()) {
      sql.append(" AND type IN (").append(placeholders(q.types().size())).append(')');
      args.addAll(q.types());
    }
    if (q.filter().isPresent()) {
      String f = q.filter().get();
      if (q.exactMatch()) {
        if (q.caseSensitive()) {
          sql.append(" AND name = ?");
          args.add(f);
        } else {
          sql.append(" AND LOWER(name) = ?");
          args.add(f.toLowerCase(java.util.Locale.ROOT));
        }
      } else {
        // The name follows case_sensitive; other string fields (addresses, comments) are
        // always matched without case, so a filter on an address finds its element.
        String lower = "%" + escapeLike(f.toLowerCase(java.util.Locale.ROOT)) + "%";
        if (q.caseSensitive()) {
          sql.append(" AND (name LIKE ? ESCAPE '\\' OR search_text LIKE ? ESCAPE '\\')");
          args.add("%" + escapeLike(f) + "%");
        } else {
          sql.append(" AND (LOWER(name) LIKE ? ESCAPE '\\' OR search_text LIKE ? ESCAPE '\\')");
          args.add(lower);
        }
        args.add(lower);
      }
    }
    // by character code on every backend (a PostgreSQL database's own collation is usually
    // linguistic: "Beta" after "alpha"; H2 compares codes: "Beta" first). StorageContractTest.
    sql.append(db.isPostgres() ? " ORDER BY type COLLATE \"C\", name COLLATE \"C\"" : " ORDER BY type, name");
    return query(
            sql.toString(),
            ps -> {
              for (int i = 0; i < args.size(); i++) {
                ps.setObject(i + 1, args.get(i));
              }
            },
            q.limit());
  }

  private static String placeholders(int n) {
    return String.join(", ", java.util.Collections.nCopies(Math.max(n, 1), "?"));
  }

  static String escapeLike(String s) {
    return s.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_");
  }

  @FunctionalInterface
  private interface Binder {
    void bind(PreparedStatement ps) throws SQLException;
  }

  private List<ElementRecord> query(String sql, Binder binder, int max) {
    try (Connection c = db.connection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      binder.bind(ps);
      if (max < Integer.MAX_VALUE) {
        ps.setMaxRows(max);
      }
      List<ElementRecord> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next() && out.size() < max) {
          out.add(read(rs));
        }
      }
      return out;
    } catch (SQLException e) {
      throw db.failure(e);
    }
  }

  private static ElementRecord read(ResultSet rs) throws SQLException {
    return new ElementRecord(
        rs.getLong(1),
        rs.getLong(2),
        rs.getString(3),
        rs.getString(4),
        rs.getString(5),
        rs.getLong(6),
        rs.getBoolean(7),
        rs.getBoolean(8));
  }

  /** Who created and last changed an element, and when; empty fields when unknown. */
  public record Stamps(Optional<Long> createdMs, Optional<Long> createdBy, Optional<Long> modifiedMs,
      Optional<Long> modifiedBy) {}

  public Stamps stamps(long key) {
    try (Connection c = db.connection();
        PreparedStatement ps = c.prepareStatement(
            "SELECT created_ms, created_by, modified_ms, modified_by FROM element WHERE element_key = ?")) {
      ps.setLong(1, key);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return new Stamps(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());
        }
        return new Stamps(opt(rs, 1), opt(rs, 2), opt(rs, 3), opt(rs, 4));
      }
    } catch (SQLException e) {
      throw db.failure(e);
    }
  }

  private static Optional<Long> opt(ResultSet rs, int col) throws SQLException {
    long v = rs.getLong(col);
    return rs.wasNull() ? Optional.empty() : Optional.of(v);
  }

  /** The category tags an element is in, or the elements of a category tag. */
  public List<Long> categories(long key, boolean ofElement) {
    String sql = ofElement ? "SELECT category_key FROM element_category WHERE element_key = ? ORDER BY category_key"
        : "SELECT element_key FROM element_category WHERE category_key = ? ORDER BY element_key";
    try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setLong(1, key);
      List<Long> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getLong(1));
        }
      }
      return out;
    } catch (SQLException e) {
      throw db.failure(e);
    }
  }

  /** The content behind one of an element's links, if it was ever stored. */
  public Optional<String> resource(long key, String rel) {
    try (Connection c = db.connection(); PreparedStatement ps = c.prepareStatement(
        "SELECT content FROM element_resource WHERE element_key = ? AND rel = ?")) {
      ps.setLong(1, key);
      ps.setString(2, rel);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
      }
    } catch (SQLException e) {
      throw db.failure(e);
    }
  }

  /** Keys of elements of the given domains that nothing references (system elements excluded). */
  public List<ElementRecord> unreferenced(java.util.Set<Long> domains, java.util.Set<String> types) {
    StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM element e WHERE e.trashed = FALSE"
        + " AND e.system_elem = FALSE AND e.domain_key IN (" + placeholders(domains.size()) + ")");
    List<Object> args = new ArrayList<>(domains);
    if (!types.isEmpty()) {
      sql.append(" AND e.type IN (").append(placeholders(types.size())).append(')');
      args.addAll(types);
    }
    sql.append(" AND NOT EXISTS (SELECT 1 FROM element_ref r WHERE r.to_key = e.element_key)");
    sql.append(db.isPostgres() ? " ORDER BY e.type COLLATE \"C\", e.name COLLATE \"C\"" : " ORDER BY e.type, e.name");
    return query(sql.toString(), ps -> {
      for (int i = 0; i < args.size(); i++) {
        ps.setObject(i + 1, args.get(i));
      }
    }, Integer.MAX_VALUE);
  }

  /** A user's stored credential: its salted hash and, for an API key, its lookup. */
  public record Credential(long elementKey, String kind, String secretHash, Optional<String> lookup) {}

  /** The credential whose API-key lookup is {@code lookup}. */
  public Optional<Credential> credentialByLookup(String lookup) {
    return credentials("WHERE lookup = ?", ps -> ps.setString(1, lookup)).stream().findFirst();
  }

  public Optional<Credential> credentialOf(long key) {
    return credentials("WHERE element_key = ?", ps -> ps.setLong(1, key)).stream().findFirst();
  }

  /** API keys stored before lookups existed (found by trying each, once). */
  public List<Credential> keysWithoutLookup() {
    return credentials("WHERE kind = 'api_key' AND lookup IS NULL", ps -> { });
  }

  /**
   * API keys without a lookup, or with one made with other parameters than {@code prefix} says
   * (another iteration count or salt: keys loaded from a snapshot of another installation).
   */
  public List<Credential> keysWithoutCurrentLookup(String prefix) {
    return credentials("WHERE kind = 'api_key' AND (lookup IS NULL OR lookup NOT LIKE ?)",
        ps -> ps.setString(1, prefix + "%"));
  }

  /** Gives a key stored before lookups its lookup. */
  public void setLookup(long key, String lookup) {
    try (Connection c = db.connection();
        PreparedStatement ps = c.prepareStatement(
            "UPDATE credential SET lookup = ? WHERE element_key = ?")) {
      ps.setString(1, lookup);
      ps.setLong(2, key);
      ps.executeUpdate();
    } catch (SQLException e) {
      throw db.failure(e);
    }
  }

  private List<Credential> credentials(String where, Binder b) {
    try (Connection c = db.connection();
        PreparedStatement ps = c.prepareStatement(
            "SELECT element_key, kind, secret_hash, lookup FROM credential " + where)) {
      b.bind(ps);
      List<Credential> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new Credential(rs.getLong(1), rs.getString(2), rs.getString(3),
              Optional.ofNullable(rs.getString(4))));
        }
      }
      return out;
    } catch (SQLException e) {
      throw db.failure(e);
    }
  }

  /**
   * A setting of the installation, created with {@code initial} by whichever node asks first
   * (nodes starting together all get the first one's value).
   */
  public String setting(String name, java.util.function.Supplier<String> initial) {
    for (int attempt = 0; attempt < 3; attempt++) {
      try (Connection c = db.connection()) {
        try (PreparedStatement q = c.prepareStatement("SELECT setting_value FROM server_setting WHERE name = ?")) {
          q.setString(1, name);
          try (ResultSet rs = q.executeQuery()) {
            if (rs.next()) {
              return rs.getString(1);
            }
          }
        }
        try (PreparedStatement ins = c.prepareStatement("INSERT INTO server_setting (name, setting_value) VALUES (?, ?)")) {
          ins.setString(1, name);
          ins.setString(2, initial.get());
          ins.executeUpdate();
        } catch (SQLException e) {
          if (!StoreException.isUniqueViolation(e)) {
            throw e;
          }
          // another node stored it first: read theirs
        }
      } catch (SQLException e) {
        throw db.failure(e);
      }
    }
    throw new IllegalStateException("server setting " + name + " could not be stored");
  }

  /** A setting's value, if it was ever stored. */
  public Optional<String> settingValue(String name) {
    try (Connection c = db.connection();
        PreparedStatement q = c.prepareStatement("SELECT setting_value FROM server_setting WHERE name = ?")) {
      q.setString(1, name);
      try (ResultSet rs = q.executeQuery()) {
        return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
      }
    } catch (SQLException e) {
      throw db.failure(e);
    }
  }

  /**
   * Replaces a setting when it still has {@code expected} (empty: it was never stored).
   *
   * @return whether it was replaced (false: another writer changed it first)
   */
  public boolean replaceSetting(String name, Optional<String> expected, String value) {
    try (Connection c = db.connection()) {
      if (expected.isEmpty()) {
        try (PreparedStatement ins = c.prepareStatement("INSERT INTO server_setting (name, setting_value) VALUES (?, ?)")) {
          ins.setString(1, name);
          ins.setString(2, value);
          return ins.executeUpdate() == 1;
        } catch (SQLException e) {
          if (StoreException.isUniqueViolation(e)) {
            return false;
          }
          throw e;
        }
      }
      try (PreparedStatement up = c.prepareStatement(
          "UPDATE server_setting SET setting_value = ? WHERE name = ? AND setting_value = ?")) {
        up.setString(1, value);
        up.setString(2, name);
        up.setString(3, expected.get());
        return up.executeUpdate() == 1;
      }
    } catch (SQLException e) {
      throw db.failure(e);
    }
  }

  /** The stored secret hash of a user element, if it has one. */
  public Optional<String> credential(long key) {
    try (Connection c = db.connection();
        PreparedStatement ps =
            c.prepareStatement("SELECT secret_hash FROM credential WHERE element_key = ?")) {
      ps.setLong(1, key);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
      }
    } catch (SQLException e) {
      throw db.failure(e);
    }
  }

  /** Allocates element keys in blocks, each block reserved by its own short transaction. */
  private static final class KeyAllocator {
    private static final int BLOCK = 64;
    private final Database db;
    private long next;
    private long limit;

    KeyAllocator(Database db) {
      this.db = db;
    }

    synchronized long next() {
      if (next == limit) {
        try (Connection c = db.connection()) {
          c.setAutoCommit(false);
          try (PreparedStatement up =
                  c.prepareStatement("UPDATE key_counter SET next_key = next_key + ? WHERE id = 1");
              PreparedStatement q =
                  c.prepareStatement("SELECT next_key FROM key_counter WHERE id = 1")) {
            up.setLong(1, BLOCK);
            up.executeUpdate();
            long reserved;
            try (ResultSet rs = q.executeQuery()) {
              rs.next();
              reserved = rs.getLong(1);
            }
            c.commit();
            // only a committed block is ours: a failed commit must not hand out its keys
            limit = reserved;
          } catch (SQLException e) {
            c.rollback();
            throw e;
          }
        } catch (SQLException e) {
          throw db.failure(e);
        }
        next = limit - BLOCK;
      }
      return next++;
    }

    synchronized void forget() {
      next = limit;
    }
  }
}
