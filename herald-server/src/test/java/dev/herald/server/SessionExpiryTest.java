package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** Idle and absolute session timeouts, on an injected clock (no sleeping for minutes). */
class SessionExpiryTest {

  @Test
  void idleSession_expires_andGets401() throws Exception {
    MutableClock clock = new MutableClock();
    try (TestServer server = TestServer.start(b -> b.sessionIdle(Duration.ofMinutes(30)), clock)) {
      SmcClient smc = SmcClient.loggedIn(server);
      assertThat(smc.get("/elements/host").status()).isEqualTo(200);
      clock.advance(Duration.ofMinutes(29));
      assertThat(smc.get("/elements/host").status()).isEqualTo(200); // activity resets the idle timer
      clock.advance(Duration.ofMinutes(29));
      assertThat(smc.get("/elements/host").status()).isEqualTo(200);
      clock.advance(Duration.ofMinutes(31));
      assertThat(smc.get("/elements/host").status()).isEqualTo(401);
    }
  }

  @Test
  void absoluteTimeout_closesTheSocket_evenWhileItIsActive() throws Exception {
    MutableClock clock = new MutableClock();
    try (TestServer server = TestServer.start(b -> b.sessionAbsolute(Duration.ofHours(12)), clock)) {
      SmcClient smc = SmcClient.loggedIn(server);
      try (WsClient ws = WsClient.open(smc)) {
        ws.subscribe("{\"context\":\"*\"}");
        clock.advance(Duration.ofHours(13));
        // the background sweep (every second) ends the session and closes its sockets
        Awaitility.await().atMost(10, TimeUnit.SECONDS).until(ws.closed::isDone);
        assertThat(ws.closed.get()).isEqualTo("1000 session ended");
        assertThat(smc.get("/elements/host").status()).isEqualTo(401);
      }
    }
  }
}
