package dev.herald.cli;

import static dev.herald.cli.CliTest.awaitLine;
import static dev.herald.cli.CliTest.lines;
import static dev.herald.cli.CliTest.startCli;
import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.testing.HeraldExtension;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** herald listen when the server it listened to is replaced by an empty one. */
class CliHistoryLostTest {
  @RegisterExtension
  HeraldExtension herald = HeraldExtension.create();

  @TempDir
  Path home;

  @Test
  void aServerReplacedByAnEmptyOne_stopsTheListenerLoudly_withExitCode5() throws Exception {
    for (int i = 0; i < 5; i++) {
      assertThat(CliTest.finish(startCli(herald.url(), herald.apiKey(), home, Map.of(),
          "create", "host", "name=old-" + i, "address=10.8.0.1")).exit()).isZero();
    }
    Process p = startCli(herald.url(), herald.apiKey(), home, Map.of(), "listen");
    var err = lines(p.getErrorStream());
    try {
      awaitLine(err, "listening to *");
      herald.restartEmpty();
      assertThat(awaitLine(err, "CHANGES LOST")).contains("not the server that position came from");
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).isEqualTo(5);
    } finally {
      p.destroy();
    }
  }

  @Test
  void withAllowGap_itSaysSoAndGoesOn() throws Exception {
    for (int i = 0; i < 5; i++) {
      CliTest.finish(startCli(herald.url(), herald.apiKey(), home, Map.of(),
          "create", "host", "name=old-" + i, "address=10.8.0.1"));
    }
    Process p = startCli(herald.url(), herald.apiKey(), home, Map.of(), "listen", "--allow-gap", "--json");
    var err = lines(p.getErrorStream());
    var out = lines(p.getInputStream());
    try {
      awaitLine(err, "listening to *");
      herald.restartEmpty();
      awaitLine(err, "CHANGES LOST");
      awaitLine(err, "continuing from seq");
      awaitLine(err, "listening to *");
      CliTest.Run created = CliTest.finish(startCli(herald.url(), herald.apiKey(), home, Map.of(),
          "create", "host", "name=new", "address=10.8.0.2"));
      assertThat(out.poll(30, TimeUnit.SECONDS)).contains(created.out().strip());
    } finally {
      p.destroy();
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }
  }
}
