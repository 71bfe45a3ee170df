package dev.herald.server;

import dev.herald.protocol.EventType;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.protocol.Json;
import dev.herald.server.SmcClient.Response;
import dev.herald.server.store.Change;
import dev.herald.server.store.ChangeLog;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * PostgreSQL stops and starts again while node A takes writes and a subscriber listens on node
 * B. The nodes keep their sockets, answer 503 + Retry-After while the database is gone (not
 * hang), report it on /ready, reconnect by themselves, and B delivers every committed change
 * exactly once, in seq order, on the socket that stayed open.
 */
class PostgresRestartTest {
  private static final int HOSTS = 120;

  @Test
  void databaseRestartedMidStream_nodesRecover_andTheSubscriberLosesNothing() throws Exception {
    try (Postgres pg = Postgres.start(); TwoNodes nodes = TwoNodes.start(pg.database(pg.newDatabase()))) {
      HeraldServer b = nodes.b;
      SmcClient onA = nodes.onA;
      SmcClient onB = nodes.onB;

      try (WsClient ws = WsClient.open(onB); WsClient beating = WsClient.open(onB)) {
        ws.subscribe("{\"context\":\"host\",\"seq\":true}");
        beating.subscribe("{\"context\":\"network\",\"heartbeat\":1}");
        AtomicInteger written = new AtomicInteger();
        List<Integer> unavailable = java.util.Collections.synchronizedList(new ArrayList<>());
        // a third of the hosts, then the writer waits for the outage to begin: a fast machine
        // could otherwise write them all before the database is down, and see no 503
        java.util.concurrent.CountDownLatch outage = new java.util.concurrent.CountDownLatch(1);
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
          try {
            for (int i = 0; i < HOSTS; i++) {
              if (i == HOSTS / 3) {
                outage.await();
              }
              createSurvivingOutages(onA, "h" + i, unavailable);
              written.incrementAndGet();
            }
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });

        await().atMost(Duration.ofSeconds(60)).until(() -> written.get() >= HOSTS / 3);
        pg.stop();
        // the nodes notice, say so, and answer at once with 503 + Retry-After
        await().atMost(Duration.ofSeconds(30)).until(() -> ready(onB).status() == 503);
        Response readyB = ready(onB);
        assertThat(readyB.json().get("database").asText()).isEqualTo("UNREACHABLE");
        Response refused = onB.get("/elements/host");
        assertThat(refused.status()).isEqualTo(503);
        assertThat(refused.header("Retry-After")).isEqualTo("1");
        assertThat(refused.json().get("message").asText()).isEqualTo("The database is not reachable.");
        assertThat(ws.closed).isNotDone();
        // heartbeats go on while the database is away (clients use them to tell a dead link)
        beating.messages.clear();
        assertThat(beating.next()).startsWith("{\"heartbeat\":");
        assertThat(ready(onB).status()).isEqualTo(503);
        outage.countDown();
        await().atMost(Duration.ofSeconds(30)).until(() -> !unavailable.isEmpty());

        pg.restart();
        await().atMost(Duration.ofSeconds(30)).until(() -> ready(onB).status() == 200 && ready(onA).status() == 200);
        writer.get(120, TimeUnit.SECONDS);
        assertThat(unavailable).as("the writer saw 503s while the database was down").isNotEmpty();

        // every host create in the log, as B's subscriber must have seen them
        List<Long> expected = new ChangeLog(b.database()).readAfter(0, 10_000).stream()
            .filter(c -> c.type().equals("host") && c.action() == EventType.CREATE)
            .map(Change::seq).toList();
        assertThat(expected).hasSize(HOSTS).as("each host committed exactly once");
        List<Long> received = new ArrayList<>();
        while (received.size() < expected.size()) {
          JsonNode m = Json.mapper().readTree(ws.next());
          assertThat(m.get("event").get("type").asText()).isEqualTo("create");
          received.add(m.get("seq").asLong());
        }
        assertThat(received).isEqualTo(expected);
        assertThat(ws.messages).isEmpty();
        assertThat(ws.closed).as("the socket stayed open through the outage").isNotDone();
      }
    }
  }

  /**
   * A logout while the database is away ends the session on that node at once and answers 503;
   * once the database is back the session is deleted there too, so no node accepts it again.
   */
  @Test
  void logoutDuringAnOutage_takesEffectEverywhereWhenTheDatabaseIsBack() throws Exception {
    try (Postgres pg = Postgres.start(); TwoNodes nodes = TwoNodes.start(pg.database(pg.newDatabase()))) {
      SmcClient onA = nodes.onA;
      SmcClient onB = nodes.onB;
      assertThat(onB.get("/elements/host").status()).isEqualTo(200);
      try (WsClient ws = WsClient.open(onA)) {
        ws.subscribe("{\"context\":\"host\"}");
        pg.stop();
        await().atMost(Duration.ofSeconds(30)).until(() -> ready(onA).status() == 503);
        Response logout = onA.send(java.net.http.HttpRequest.newBuilder(URI.create(onA.v("/logout")))
            .PUT(java.net.http.HttpRequest.BodyPublishers.noBody()));
        assertThat(logout.status()).isEqualTo(503);
        assertThat(ws.closed.get(10, TimeUnit.SECONDS)).isEqualTo("1000 session ended");
        assertThat(onA.get("/elements/host").status()).as("ended on A at once").isEqualTo(401);
        pg.restart();
        await().atMost(Duration.ofSeconds(30)).until(() -> ready(onA).status() == 200);
        // A's sweep deletes the row; B then refuses the session as well
        await().atMost(Duration.ofSeconds(30)).until(() -> onB.get("/elements/host").status() == 401);
        assertThat(onA.get("/elements/host").status()).isEqualTo(401);
      }
    }
  }

  private static Response ready(SmcClient c) throws Exception {
    return c.getUrl(c.base + "/ready");
  }

  /**
   * Creates a host, retrying through 503s as smc-python does. An attempt cut off by the outage
   * may have committed all the same: then the retry finds the name taken (400), which counts as
   * done — the test then checks the log holds each host once.
   */
  private static void createSurvivingOutages(SmcClient c, String name, List<Integer> unavailable)
      throws Exception {
    while (true) {
      Response r;
      try {
        r = c.post("/elements/host", "{\"name\":\"" + name + "\",\"address\":\"10.0.0.1\"}");
      } catch (java.io.IOException e) {
        r = null; // connection cut mid-request: retry
      }
      if (r != null && r.status() == 201) {
        return;
      }
      if (r != null && r.status() == 400 && r.body().contains("already used")) {
        return;
      }
      if (r != null && r.status() != 503) {
        throw new AssertionError("unexpected answer: " + r);
      }
      unavailable.add(r == null ? 0 : r.status());
      // wait for the node to say it is ready again rather than spinning
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
          .until(() -> ready(c).status() == 200);
    }
  }
}
