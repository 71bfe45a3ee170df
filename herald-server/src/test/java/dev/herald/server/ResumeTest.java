package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.protocol.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** Resume (since), progress marks, heartbeats, history expiry and the slow-consumer policy. */
@ParameterizedClass(name = "on {0}")
@EnumSource(Backend.class)
class ResumeTest {
  @Parameter Backend backend;

  private static final java.util.concurrent.atomic.AtomicLong NAMES = new java.util.concurrent.atomic.AtomicLong();

  /** A host with a name no other call gives (System.nanoTime alone repeated across writer threads). */
  private static String hostJson(String prefix) {
    return "{\"name\":\"" + prefix + "-" + NAMES.incrementAndGet() + "-" + System.nanoTime() + "\",\"address\":\"10.0.0.1\"}";
  }

  /** Reads events of one channel until {@code lastSeq}; returns their seqs in arrival order. */
  private static List<Long> seqsUntil(WsClient ws, long lastSeq) throws Exception {
    List<Long> seqs = new ArrayList<>();
    while (seqs.isEmpty() || seqs.get(seqs.size() - 1) < lastSeq) {
      JsonNode m = Json.mapper().readTree(ws.next());
      if (m.has("event")) {
        seqs.add(m.get("seq").asLong());
      }
    }
    return seqs;
  }

  @Test
  void resume_duringConcurrentWrites_deliversEveryChangeOnceInOrder() throws Exception {
    try (TestServer server = TestServer.start(backend)) {
      SmcClient smc = SmcClient.loggedIn(server);
      for (int i = 0; i < 20; i++) {
        smc.create("host", hostJson("seed"));
      }
      ExecutorService writers = Executors.newFixedThreadPool(4);
      try {
        for (int iteration = 0; iteration < 15; iteration++) {
          long since = server.server().changeLogHead() - 10; // 10 changes to replay at least
          CountDownLatch go = new CountDownLatch(1);
          List<Future<?>> jobs = new ArrayList<>();
          for (int w = 0; w < 4; w++) {
            SmcClient writer = SmcClient.loggedIn(server);
            jobs.add(writers.submit(() -> {
              go.await();
              for (int i = 0; i < 15; i++) {
                writer.create("host", hostJson("w"));
              }
              return null;
            }));
          }
          try (WsClient ws = WsClient.open(smc)) {
            go.countDown(); // writes race with the subscription and its replay
            String ack = ws.subscribe("{\"context\":\"*\",\"since\":" + since + "}");
            assertThat(ack).contains("\"success\"");
            for (Future<?> j : jobs) {
              j.get(60, TimeUnit.SECONDS);
            }
            long head = server.server().changeLogHead();
            List<Long> seqs = seqsUntil(ws, head);
            List<Long> expected = new ArrayList<>();
            for (long s = since + 1; s <= head; s++) {
              expected.add(s);
            }
            assertThat(seqs).as("iteration %d", iteration).containsExactlyElementsOf(expected);
          }
        }
      } finally {
        writers.shutdownNow();
      }
    }
  }

  @Test
  void resume_filteredChannel_replaysOnlyMatches_andProgressMarksAdvance() throws Exception {
    try (TestServer server = TestServer.start(backend)) {
      SmcClient smc = SmcClient.loggedIn(server);
      long since = server.server().changeLogHead();
      String router = smc.create("router", "{\"name\":\"r-" + System.nanoTime() + "\",\"address\":\"10.0.0.9\"}");
      smc.create("host", hostJson("h"));
      try (WsClient ws = WsClient.open(smc)) {
        ws.subscribe("{\"context\":\"router\",\"since\":" + since + ",\"progress\":1}");
        JsonNode e = Json.mapper().readTree(ws.next());
        assertThat(e.get("event").get("element").asText()).isEqualTo(router);
        assertThat(e.get("seq").asLong()).isEqualTo(since + 1);
        smc.create("host", hostJson("h"));
        long head = server.server().changeLogHead();
        // the channel is quiet (hosts do not match), so a progress mark tells the position
        JsonNode mark = Json.mapper().readTree(ws.next());
        assertThat(mark.get("subscription_id").asLong()).isEqualTo(0);
        assertThat(mark.get("progress").get("seq").asLong()).isEqualTo(head);
      }
    }
  }

  @Test
  void heartbeats_comeOnlyWhenAskedFor() throws Exception {
    try (TestServer server = TestServer.start(backend); WsClient ws = WsClient.open(SmcClient.loggedIn(server))) {
      ws.subscribe("{\"context\":\"host\",\"heartbeat\":1}");
      JsonNode hb = Json.mapper().readTree(ws.next());
      assertThat(hb.get("heartbeat").get("seq").asLong()).isEqualTo(server.server().changeLogHead());
    }
  }

  @Test
  void resume_fromBeforeRetainedHistory_getsHistoryExpired() throws Exception {
    try (TestServer server = TestServer.start(backend, b -> b.retentionCount(5))) {
      SmcClient smc = SmcClient.loggedIn(server);
      for (int i = 0; i < 10; i++) {
        smc.create("host", hostJson("h"));
      }
      assertThat(server.server().pruneChangeLog()).isGreaterThan(0);
      long head = server.server().changeLogHead();
      try (WsClient ws = WsClient.open(smc)) {
        JsonNode answer = Json.mapper().readTree(ws.subscribe("{\"context\":\"*\",\"since\":1}"));
        JsonNode exp = answer.get("history_expired");
        assertThat(exp.get("since").asLong()).isEqualTo(1);
        assertThat(exp.get("oldest_seq").asLong()).isEqualTo(head - 4);
        assertThat(exp.get("head_seq").asLong()).isEqualTo(head);
        // also when this node still holds the changes in memory: retention decides, as on every node
        JsonNode memory = Json.mapper().readTree(ws.subscribe("{\"context\":\"*\",\"since\":" + (head - 7) + "}"));
        assertThat(memory.get("history_expired").get("oldest_seq").asLong()).isEqualTo(head - 4);
        // resuming right at the boundary works
        JsonNode ok = Json.mapper().readTree(ws.subscribe("{\"context\":\"*\",\"since\":" + (head - 5) + "}"));
        assertThat(ok.get("success")).isNotNull();
        assertThat(Json.mapper().readTree(ws.next()).get("seq").asLong()).isEqualTo(head - 4);
      }
    }
  }

  private static long slowConsumers(SmcClient smc, TestServer server) throws Exception {
    for (String line : server.metrics().split("\n")) {
      if (line.startsWith("herald_notify_slow_consumers_total ")) {
        return (long) Double.parseDouble(line.substring(line.indexOf(' ') + 1));
      }
    }
    throw new AssertionError("no slow-consumer counter in /metrics");
  }

  @Test
  void stalledReader_isDisconnectedByPolicy_whileAnotherReaderGetsEverything() throws Exception {
    try (TestServer server = TestServer.start(backend, b -> b.socket(
        new ServerConfig.Socket(64 * 1024, 256, 64, 2_000, 1024 * 1024, 1024, 4)))) {
      SmcClient smc = SmcClient.loggedIn(server);
      try (RawWebSocket stalled = RawWebSocket.connect(server.server().port(), "/7.2/notification/socket",
              java.util.Map.of("Cookie", smc.sessionCookie()), 4096);
          WsClient reader = WsClient.open(smc)) {
        for (int i = 0; i < 200; i++) {
          stalled.sendText("{\"context\":\"*\"}"); // 200 channels: each change is 200 frames
        }
        reader.subscribe("{\"context\":\"host\",\"seq\":true}");
        long first = server.server().changeLogHead() + 1;
        // write until the policy closes the stalled socket (how much the kernel buffers first
        // varies from machine to machine), at most 5,000 changes
        int written = 0;
        while (slowConsumers(smc, server) == 0) {
          assertThat(written).as("the stalled socket was never closed").isLessThan(5_000);
          for (int i = 0; i < 50; i++) {
            smc.create("host", hostJson("load"));
          }
          written += 50;
        }
        // read the stalled socket through to its close frame now, before the server's abort
        // deadline for readers that never read
        RawWebSocket.Frame f;
        do {
          f = stalled.read();
        } while (f.opcode() == 0x1);
        assertThat(f.opcode()).isEqualTo(0x8);
        assertThat(f.closeCode()).isEqualTo(4001);
        // meanwhile the other reader got every change, in order
        long head = server.server().changeLogHead();
        List<Long> seqs = seqsUntil(reader, head);
        List<Long> expected = new ArrayList<>();
        for (long s = first; s <= head; s++) {
          expected.add(s);
        }
        assertThat(seqs).containsExactlyElementsOf(expected);
        assertThat(f.closeReason()).matches("slow consumer; delivered up to seq=\\d+");
      }
    }
  }
}
