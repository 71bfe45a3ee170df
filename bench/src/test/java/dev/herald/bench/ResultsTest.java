package dev.herald.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** Where results go: ad-hoc runs never touch the tracked results file. */
class ResultsTest {
  @TempDir
  Path dir;

  @AfterEach
  void reset() {
    Results.file = Results.AD_HOC;
  }

  @Test
  void withoutRecord_resultsGoToTheUntrackedFile_withRecordToTheTrackedOne() throws Exception {
    new CommandLine(new Bench()).parseArgs("writes", "--seconds", "1");
    assertThat(Results.file).isEqualTo(Path.of("bench-results", "tmp", "adhoc.txt"));
    new CommandLine(new Bench()).parseArgs("writes", "--record", "--seconds", "1");
    assertThat(Results.file).isEqualTo(Path.of("bench-results", "results.txt"));

    Results.file = dir.resolve("out.txt");
    new Results("probe").put("x", 1.5).emit("./herald-bench probe");
    assertThat(Files.readString(dir.resolve("out.txt"))).startsWith("RESULT scenario=probe x=1.50 | command=./herald-bench probe");
  }

  @Test
  void quick_explainsBaselineAndRatio_inItsHelp() {
    String help = new CommandLine(new Bench()).getSubcommands().get("quick").getUsageMessage();
    assertThat(help).contains("about a minute");
  }
}
