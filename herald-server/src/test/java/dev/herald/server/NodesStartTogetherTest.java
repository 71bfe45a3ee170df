package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/**
 * Nodes deployed together on an empty PostgreSQL database (a rollout of several replicas): one
 * migrates the schema while the others wait on Flyway's lock, then all create or find the
 * built-in elements. (Several nodes need PostgreSQL; the embedded database serves one.)
 */
class NodesStartTogetherTest {
  @Test
  void nodesStartingTogetherOnAnEmptyDatabase_allStart() throws Exception {
    UnaryOperator<ServerConfig.Builder> database = Backend.POSTGRES.newDatabase();
    Path dir = Files.createTempDirectory("herald-together");
    ExecutorService pool = Executors.newFixedThreadPool(4);
    List<Future<HeraldServer>> starts = new ArrayList<>();
    List<HeraldServer> started = new ArrayList<>();
    try {
      for (int i = 0; i < 4; i++) {
        starts.add(pool.submit(() -> HeraldServer.start(TestServer.config(dir, database))));
      }
      for (var f : starts) {
        started.add(f.get(120, TimeUnit.SECONDS));
      }
      assertThat(started).hasSize(4);
      for (HeraldServer s : started) {
        SmcClient c = SmcClient.loggedInTo(TwoNodes.url(s));
        assertThat(c.get("/elements/host").status()).isEqualTo(200);
      }
      // one Shared Domain, one herald api_client: the built-in elements exist once
      SmcClient c = SmcClient.loggedInTo(TwoNodes.url(started.get(0)));
      assertThat(c.get("/elements/admin_domain?filter=Shared%20Domain&exact_match=true").json().get("result")).hasSize(1);
      assertThat(c.get("/elements/api_client?filter=herald&exact_match=true").json().get("result")).hasSize(1);
    } finally {
      pool.shutdown();
      pool.awaitTermination(120, TimeUnit.SECONDS);
      for (var f : starts) { // every node that started, also when another failed
        if (f.state() == Future.State.SUCCESS) {
          f.resultNow().close();
        }
      }
      TestServer.deleteTree(dir);
    }
  }
}
