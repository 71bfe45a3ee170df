package dev.herald.server;

import dev.herald.protocol.EventType;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.server.store.Change;
import dev.herald.server.store.ChangeLog;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** kill -9 during writes, then restart: every acknowledged write is there with its change row. */
class CrashRecoveryTest {

  @Test
  void killDuringWrites_keepsEveryAcknowledgedWriteWithItsChange_andNothingHalfDone() throws Exception {
    Path dir = Files.createTempDirectory("herald-crash");
    String java = ProcessHandle.current().info().command().orElse("java");
    Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
        CrashServerMain.class.getName(), dir.toString()).redirectErrorStream(true).start();
    Set<String> acknowledged = ConcurrentHashMap.newKeySet();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream()));
      String line;
      int port = -1;
      while ((line = out.readLine()) != null) {
        if (line.startsWith("PORT ")) {
          port = Integer.parseInt(line.substring(5).strip());
          break;
        }
      }
      assertThat(port).isPositive();
      String url = "http://127.0.0.1:" + port;
      ExecutorService writers = Executors.newFixedThreadPool(4);
      for (int w = 0; w < 4; w++) {
        writers.submit(() -> {
          SmcClient c = new SmcClient(url, "7.2");
          c.post("/login", "{\"domain\":\"Shared Domain\",\"authenticationkey\":\"" + TestServer.API_KEY + "\"}");
          while (true) {
            SmcClient.Response r = c.post("/elements/host",
                "{\"name\":\"c-" + System.nanoTime() + "\",\"address\":\"10.0.0.1\"}");
            if (r.status() == 201) {
              acknowledged.add(r.header("Location").replaceAll(".*/elements/", ""));
            }
          }
        });
      }
      org.awaitility.Awaitility.await().atMost(60, TimeUnit.SECONDS).until(() -> acknowledged.size() >= 300);
      p.destroyForcibly(); // SIGKILL
      p.waitFor(30, TimeUnit.SECONDS);
      writers.shutdownNow();
      writers.awaitTermination(30, TimeUnit.SECONDS);
    } finally {
      p.destroyForcibly();
    }
    assertThat(acknowledged).hasSizeGreaterThanOrEqualTo(300);
    try (HeraldServer again = HeraldServer.start(TestServer.config(dir, b -> b))) {
      SmcClient c = new SmcClient("http://127.0.0.1:" + again.port(), "7.2");
      c.post("/login", "{\"domain\":\"Shared Domain\",\"authenticationkey\":\"" + TestServer.API_KEY + "\"}");
      for (String k : acknowledged) {
        assertThat(c.get("/elements/" + k).status()).as(k).isEqualTo(200);
      }
      // every stored host has exactly one create row, and every create row has its host
      Set<String> stored = new HashSet<>();
      for (var item : c.get("/elements/host?filter=c-").json().get("result")) { // not SMC's built-in hosts
        stored.add(item.get("href").asText().replaceAll(".*/elements/", ""));
      }
      ChangeLog log = new ChangeLog(again.database());
      List<String> created = new ArrayList<>();
      for (Change ch : log.readAfter(0, 1_000_000)) {
        if (ch.type().equals("host") && ch.action() == EventType.CREATE) {
          created.add("host/" + ch.elementKey());
        }
      }
      assertThat(created).doesNotHaveDuplicates();
      assertThat(new HashSet<>(created)).isEqualTo(stored);
      assertThat(stored).containsAll(acknowledged);
    } finally {
      TestServer.deleteTree(dir);
    }
  }
}
