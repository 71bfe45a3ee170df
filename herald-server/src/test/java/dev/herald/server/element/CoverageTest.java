package dev.herald.server.element;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** docs/coverage.md is the catalogue's: regenerated, it must not change. */
class CoverageTest {
  private static final Path ROOT = Path.of("").toAbsolutePath().getParent();

  @Test
  void coveragePage_isCurrent() throws Exception {
    if (Boolean.getBoolean("coverage.write")) {
      Coverage.write(ROOT);
    }
    assertThat(Files.readString(ROOT.resolve("docs/coverage.md")))
        .as("docs/coverage.md is stale: regenerate it (the command is in its first lines)")
        .isEqualTo(Coverage.page());
  }
}
