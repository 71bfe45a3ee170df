package dev.herald.server;

import dev.herald.protocol.EventType;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.herald.server.store.Change;
import dev.herald.server.store.ChangeLog;
import dev.herald.server.store.Database;
import dev.herald.server.store.ElementRecord;
import dev.herald.server.store.ElementStore;
import dev.herald.server.store.SearchQuery;
import dev.herald.server.store.SessionStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What Herald needs of its database, checked on every backend (embedded H2 and PostgreSQL): the
 * same statements must mean the same thing on both. The REST and socket suites run on both
 * backends too; this one works at the store level, where the differences would be.
 */
@ParameterizedClass(name = "on {0}")
@EnumSource(Backend.class)
class StorageContractTest {
  private static final long DOMAIN = 1;

  @Parameter Backend backend;

  private Path dir;
  private Supplier<Database> node;
  private final List<Database> open = new ArrayList<>();
  private ElementStore store;
  private ChangeLog log;

  @BeforeEach
  void open() throws Exception {
    dir = Files.createTempDirectory("herald-contract");
    node = backend.newStore(dir);
    Database db = openNode();
    log = new ChangeLog(db);
    store = new ElementStore(db, InstantSource.system(), log);
  }

  private Database openNode() {
    Database db = node.get();
    open.add(db);
    return db;
  }

  @AfterEach
  void close() throws Exception {
    open.forEach(Database::close);
    TestServer.deleteTree(dir);
  }

  private ElementRecord host(String name, String body) {
    return new ElementRecord(store.newKey(), DOMAIN, "host", name, body, 1, false, false);
  }

  private ElementStore.Committed<Void> create(ElementRecord e, String searchText) {
    return store.write(tx -> {
      tx.insert(e, searchText);
      tx.record(new Change.Pending(e.domainKey(), e.type(), e.key(), e.name(), EventType.CREATE, "test"));
      return null;
    });
  }

  @Test
  void elementLifecycle_writesOneChangeRowPerChange_inSeqOrder() {
    ElementRecord h = host("web", "{\"name\":\"web\",\"address\":\"10.0.0.1\"}");
    long created = create(h, "web 10.0.0.1").lastSeq();
    assertThat(store.find(h.key())).contains(h);
    assertThat(store.findByName(DOMAIN, "host", "web")).contains(h);

    ElementRecord renamed = h.withBody("web2", "{\"name\":\"web2\",\"address\":\"10.0.0.2\"}");
    long updated = store.write(tx -> {
      assertThat(tx.lock(h.key())).contains(h);
      tx.update(renamed, "web2 10.0.0.2");
      tx.record(new Change.Pending(DOMAIN, "host", h.key(), "web2", EventType.UPDATE, "test"));
      return null;
    }).lastSeq();
    assertThat(store.find(h.key())).contains(renamed);
    assertThat(renamed.version()).isEqualTo(2);

    ElementRecord trashed = renamed.withTrashed(true);
    store.write(tx -> {
      tx.setTrashed(trashed);
      tx.record(new Change.Pending(DOMAIN, "host", h.key(), "web2", EventType.TRASHED, "test"));
      return null;
    });
    long deleted = store.write(tx -> {
      tx.delete(h.key());
      tx.record(new Change.Pending(DOMAIN, "host", h.key(), "web2", EventType.DELETE, "test"));
      return null;
    }).lastSeq();
    assertThat(store.find(h.key())).isEmpty();

    assertThat(List.of(created, updated, deleted)).containsExactly(1L, 2L, 4L);
    List<Change> changes = log.readAfter(0, 100);
    assertThat(changes).extracting(Change::seq).containsExactly(1L, 2L, 3L, 4L);
    assertThat(changes).extracting(Change::action).containsExactly(
        EventType.CREATE, EventType.UPDATE, EventType.TRASHED, EventType.DELETE);
    assertThat(changes).extracting(Change::name).containsExactly("web", "web2", "web2", "web2");
    assertThat(log.readAfter(2, 1)).extracting(Change::seq).containsExactly(3L);
    assertThat(log.head()).isEqualTo(4);
  }

  @Test
  void duplicateName_isRefusedWithSmcWording_andChangesNothing() {
    create(host("dup", "{}"), "dup");
    long head = log.head();
    ElementRecord again = host("dup", "{}");
    assertThatThrownBy(() -> create(again, "dup"))
        .isInstanceOfSatisfying(HeraldException.class, e -> {
          assertThat(e.status()).isEqualTo(400);
          assertThat(e.details()).containsExactly("Element name dup is already used.");
        });
    assertThat(store.find(again.key())).isEmpty();
    assertThat(log.head()).isEqualTo(head);
    // the same name in another type or domain is fine
    store.write(tx -> {
      tx.insert(new ElementRecord(store.newKey(), DOMAIN, "network", "dup", "{}", 1, false, false), "dup");
      tx.insert(new ElementRecord(store.newKey(), 2, "host", "dup", "{}", 1, false, false), "dup");
      return null;
    });
  }

  @Test
  void failingWrite_rollsBackAlone_whileConcurrentWritesCommit() throws Exception {
    long head = log.head();
    int writers = 8;
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    List<Future<Long>> jobs = new ArrayList<>();
    List<ElementRecord> records = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      ElementRecord e = host("w" + w, "{}");
      records.add(e);
      boolean fail = w % 2 == 1;
      jobs.add(pool.submit(() -> {
        start.await();
        return store.write(tx -> {
          tx.insert(e, e.name());
          tx.record(new Change.Pending(DOMAIN, "host", e.key(), e.name(), EventType.CREATE, "test"));
          if (fail) {
            throw HeraldException.badRequest("refused on purpose", "after its insert");
          }
          return null;
        }).lastSeq();
      }));
    }
    start.countDown();
    int failed = 0;
    for (int w = 0; w < writers; w++) {
      try {
        jobs.get(w).get(60, TimeUnit.SECONDS);
        assertThat(w % 2).isZero();
        assertThat(store.find(records.get(w).key())).isPresent();
      } catch (java.util.concurrent.ExecutionException e) {
        assertThat(e.getCause()).hasMessage("refused on purpose");
        assertThat(store.find(records.get(w).key())).isEmpty();
        failed++;
      }
    }
    pool.shutdown();
    assertThat(failed).isEqualTo(writers / 2);
    assertThat(log.head()).isEqualTo(head + writers / 2);
    assertThat(log.readAfter(head, 100)).extracting(Change::name)
        .containsExactlyInAnyOrder("w0", "w2", "w4", "w6");
  }

  @Test
  void search_meansTheSameOnEveryBackend() {
    // the search text holds the other string fields, lower-cased (ElementService.searchText)
    create(host("Alpha_1", "{}"), "10.1.1.1\nfirst host\n");
    create(host("alpha%2", "{}"), "10.1.1.2\n");
    create(host("Beta", "{}"), "192.168.0.1\nback\\slash\n");
    store.write(tx -> {
      tx.insert(new ElementRecord(store.newKey(), DOMAIN, "network", "alpha-net", "{}", 1, false, false), "alpha-net");
      tx.insert(new ElementRecord(store.newKey(), 2, "host", "alpha-other-domain", "{}", 1, false, false), "alpha-other-domain");
      return null;
    });
    ElementRecord gone = host("alpha-trashed", "{}");
    create(gone, "");
    store.write(tx -> {
      tx.setTrashed(gone.withTrashed(true));
      return null;
    });

    assertThat(names(search("alpha", false, false, Set.of()))).containsExactly("Alpha_1", "alpha%2", "alpha-net");
    assertThat(names(search("alpha", false, true, Set.of()))).containsExactly("alpha%2", "alpha-net");
    assertThat(names(search("alpha", false, false, Set.of("host")))).containsExactly("Alpha_1", "alpha%2");
    // LIKE's wildcards are literal characters in a filter
    assertThat(names(search("%", false, false, Set.of()))).containsExactly("alpha%2");
    assertThat(names(search("a_", false, false, Set.of()))).containsExactly("Alpha_1");
    assertThat(names(search("\\", false, false, Set.of()))).containsExactly("Beta");
    // other string fields, without case
    assertThat(names(search("192.168", false, false, Set.of()))).containsExactly("Beta");
    assertThat(names(search("FIRST", false, true, Set.of()))).containsExactly("Alpha_1");
    // exact match
    assertThat(names(search("beta", true, false, Set.of()))).containsExactly("Beta");
    assertThat(names(search("beta", true, true, Set.of()))).isEmpty();
    // the order (type, then name by character code) is the same on both backends, and so is
    // what a limit keeps
    assertThat(names(store.search(new SearchQuery(Set.of(DOMAIN), Set.of(), Optional.empty(), false, false, 100))))
        .containsExactly("Alpha_1", "Beta", "alpha%2", "alpha-net");
    assertThat(names(store.search(new SearchQuery(Set.of(DOMAIN), Set.of(), Optional.empty(), false, false, 2))))
        .containsExactly("Alpha_1", "Beta");
  }

  private List<ElementRecord> search(String filter, boolean exact, boolean caseSensitive, Set<String> types) {
    return store.search(new SearchQuery(Set.of(DOMAIN), types, Optional.of(filter), exact, caseSensitive, 100));
  }

  private static List<String> names(List<ElementRecord> rs) {
    return rs.stream().map(ElementRecord::name).toList();
  }

  @Test
  void referencesAndCredentials_roundTrip() {
    ElementRecord a = host("a", "{}");
    ElementRecord b = host("b", "{}");
    ElementRecord group = new ElementRecord(store.newKey(), DOMAIN, "group", "g", "{}", 1, false, false);
    store.write(tx -> {
      tx.insert(a, "a");
      tx.insert(b, "b");
      tx.insert(group, "g");
      tx.setReferences(group.key(), List.of(a.key(), b.key(), a.key()));
      tx.saveCredential(a.key(), "api_key", "hash-1", "lookup-1");
      tx.saveCredential(a.key(), "api_key", "hash-2", "lookup-2");
      tx.saveCredential(b.key(), "password", "hash-3", null);
      return null;
    });
    assertThat(store.referrers(a.key())).containsExactly(group.key());
    assertThat(store.credential(a.key())).contains("hash-2");
    // an API key is found by its lookup; the replaced one no longer
    assertThat(store.credentialByLookup("lookup-2")).map(ElementStore.Credential::elementKey).contains(a.key());
    assertThat(store.credentialByLookup("lookup-1")).isEmpty();
    assertThat(store.credentialOf(b.key()).orElseThrow().lookup()).isEmpty();
    store.write(tx -> {
      assertThat(tx.lookupTaken("lookup-2", b.key())).isTrue();
      assertThat(tx.lookupTaken("lookup-2", a.key())).isFalse();
      return null;
    });
    // installation settings: the first value stays
    assertThat(store.setting("probe", () -> "first")).isEqualTo("first");
    assertThat(store.setting("probe", () -> "second")).isEqualTo("first");
    store.write(tx -> {
      tx.setReferences(group.key(), List.of(b.key()));
      return null;
    });
    assertThat(store.referrers(a.key())).isEmpty();
    assertThat(store.referrers(b.key())).containsExactly(group.key());
    store.write(tx -> {
      tx.delete(group.key());
      return null;
    });
    assertThat(store.referrers(b.key())).isEmpty();
  }

  @Test
  void retention_prunesByCountAndAge_andReportsTheOldestRetained() {
    assertThat(log.oldestRetained()).isEqualTo(1);
    for (int i = 0; i < 10; i++) {
      create(host("r" + i, "{}"), "r" + i);
    }
    assertThat(log.prune(0, 4)).isEqualTo(6);
    assertThat(log.oldestRetained()).isEqualTo(7);
    assertThat(log.readAfter(0, 100)).extracting(Change::seq).containsExactly(7L, 8L, 9L, 10L);
    assertThat(log.prune(Long.MAX_VALUE, 100)).isEqualTo(4);
    assertThat(log.head()).isEqualTo(10);
    assertThat(log.oldestRetained()).isEqualTo(11).as("empty log: a client at the head missed nothing");
    assertThat(create(host("after", "{}"), "after").lastSeq()).isEqualTo(11);
  }

  /** A shared head read never answers from before the caller's own commit. */
  @Test
  void freshHead_seesEveryCommitBeforeTheCall_whenManyAskAtOnce() throws Exception {
    int threads = 16;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    List<Future<String>> jobs = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int id = t;
      jobs.add(pool.submit(() -> {
        for (int i = 0; i < 30; i++) {
          long committed = create(host("fh" + id + "-" + i, "{}"), "").lastSeq();
          long seen = log.freshHead();
          if (seen < committed) {
            return "committed " + committed + ", then freshHead answered " + seen;
          }
        }
        return "ok";
      }));
    }
    for (Future<String> j : jobs) {
      assertThat(j.get(120, TimeUnit.SECONDS)).isEqualTo("ok");
    }
    pool.shutdown();
    assertThat(log.freshHead()).isEqualTo(log.head()).isEqualTo(threads * 30L);
  }

  @Test
  void sessions_roundTripAndExpire_acrossNodes() {
    SessionStore a = new SessionStore(open.get(0));
    SessionStore b = new SessionStore(openNode());
    a.insert(new SessionStore.Row("h1", 7, DOMAIN, 1_000, 1_000));
    a.insert(new SessionStore.Row("h2", 7, DOMAIN, 1_000, 5_000));
    assertThat(b.find("h1")).contains(new SessionStore.Row("h1", 7, DOMAIN, 1_000, 1_000));
    b.touch("h1", 9_000);
    assertThat(a.find("h1").orElseThrow().lastSeenMs()).isEqualTo(9_000);
    assertThat(a.deleteExpired(6_000, 0)).isEqualTo(1);
    assertThat(b.find("h2")).isEmpty();
    assertThat(b.count()).isEqualTo(1);
    b.delete("h1");
    assertThat(a.find("h1")).isEmpty();
    assertThat(a.count()).isZero();
  }

  /** Which sessions still exist, asked for more than one batch's worth at once; batched touches. */
  @Test
  void existingSessions_areFoundAmongMany_andTouchedInABatch() {
    SessionStore sessions = new SessionStore(open.get(0));
    List<String> asked = new ArrayList<>();
    for (int i = 0; i < 1_200; i++) {
      String h = "session-" + i;
      asked.add(h);
      if (i % 3 == 0) {
        sessions.insert(new SessionStore.Row(h, 7, DOMAIN, 1_000, 1_000));
      }
    }
    asked.add("never-existed");
    sessions.touchAll(java.util.Map.of("session-0", 5_000L, "session-3", 6_000L, "never-existed", 7_000L));
    assertThat(sessions.find("session-3").orElseThrow().lastSeenMs()).isEqualTo(6_000);
    assertThat(sessions.find("session-6").orElseThrow().lastSeenMs()).isEqualTo(1_000);
    sessions.touchAll(java.util.Map.of("session-3", 2_000L)); // an older time never wins
    assertThat(sessions.find("session-3").orElseThrow().lastSeenMs()).isEqualTo(6_000);
    java.util.Set<String> found = sessions.existing(asked);
    assertThat(found).hasSize(400).allMatch(h -> Integer.parseInt(h.substring(8)) % 3 == 0);
    assertThat(sessions.existing(List.of())).isEmpty();
  }

  /**
   * seq order = commit order, across nodes: writers on two nodes (two connection pools on one
   * database) commit concurrently while a tailer on a third reads; the tailer must see every seq
   * exactly once, densely, in order — a reader that has seen seq N never later finds a committed
   * seq below N.
   */
  @Test
  void concurrentWritersOnTwoNodes_neverCommitASmallerSeqAfterALargerOneIsVisible() throws Exception {
    Database second = openNode();
    List<ElementStore> nodes = List.of(store, new ElementStore(second, InstantSource.system(), new ChangeLog(second)));
    ChangeLog tail = new ChangeLog(openNode());
    int writers = 16;
    int perWriter = 100;
    AtomicBoolean done = new AtomicBoolean();
    List<Long> seen = new ArrayList<>();
    List<String> violations = new ArrayList<>();
    Thread tailer = Thread.ofPlatform().start(() -> {
      long last = 0;
      while (true) {
        boolean finished = done.get();
        List<Change> batch = tail.readAfter(last, 500);
        for (Change c : batch) {
          if (c.seq() != last + 1) {
            violations.add("after " + last + " the tailer saw " + c.seq());
          }
          last = c.seq();
          seen.add(c.seq());
        }
        if (finished && batch.isEmpty()) {
          return;
        }
      }
    });
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    List<Future<?>> jobs = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      int id = w;
      ElementStore on = nodes.get(w % 2);
      jobs.add(pool.submit(() -> {
        for (int i = 0; i < perWriter; i++) {
          long key = on.newKey();
          String name = "w" + id + "-" + i;
          on.write(tx -> {
            tx.insert(new ElementRecord(key, DOMAIN, "host", name, "{}", 1, false, false), name);
            // a second change in some transactions: multi-row appends stay contiguous
            tx.record(new Change.Pending(DOMAIN, "host", key, name, EventType.CREATE, "test"));
            if (key % 3 == 0) {
              tx.record(new Change.Pending(DOMAIN, "host", key, name, EventType.UPDATE, "test"));
            }
            return null;
          });
        }
        return null;
      }));
    }
    for (Future<?> j : jobs) {
      j.get(120, TimeUnit.SECONDS);
    }
    pool.shutdown();
    done.set(true);
    tailer.join(60_000);
    long head = tail.head();
    assertThat(violations).isEmpty();
    assertThat(head).isGreaterThanOrEqualTo((long) writers * perWriter);
    assertThat(seen).hasSize((int) head);
    assertThat(seen.get(seen.size() - 1)).isEqualTo(head);
    assertThat(store.listByType("host")).hasSize(writers * perWriter);
  }
}
