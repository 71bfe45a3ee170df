package dev.herald.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The class-data archive the launchers ask for: a {@code serve} started with
 * {@code -XX:+RecordDynamicDumpInfo -Dherald.cds.archive=PATH} (what they pass when there is no
 * archive) writes one while it serves, whole; the next start maps it and the JVM accepts it (a
 * stale one would be refused: "Unable to use shared archive"); without the JVM option none is
 * asked for.
 */
class ClassDataArchiveTest {
  @TempDir
  Path tmp;

  private String classPath;

  /**
   * This test's class path with every directory made a jar: the JVM archives classes from jars
   * only (in a reactor build the modules' classes are directories; a release has jars).
   */
  private String jarsOnly() throws Exception {
    if (classPath == null) {
      List<String> out = new ArrayList<>();
      int n = 0;
      for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
        Path e = Path.of(entry);
        if (Files.isDirectory(e)) {
          if (e.toString().contains("test-classes")) {
            continue;
          }
          Path jar = tmp.resolve("cp").resolve("dir" + (n++) + ".jar");
          Files.createDirectories(jar.getParent());
          try (var zip = new java.util.jar.JarOutputStream(Files.newOutputStream(jar)); var files = Files.walk(e)) {
            for (Path f : (Iterable<Path>) files.filter(f -> !f.equals(e))::iterator) {
              String name = e.relativize(f).toString().replace('\\', '/');
              boolean dir = Files.isDirectory(f); // directory entries too: resource scans (Flyway's) look for them
              zip.putNextEntry(new java.util.jar.JarEntry(dir ? name + "/" : name));
              if (!dir) {
                Files.copy(f, zip);
              }
              zip.closeEntry();
            }
          }
          out.add(jar.toString());
        } else {
          out.add(entry);
        }
      }
      classPath = String.join(java.io.File.pathSeparator, out);
    }
    return classPath;
  }

  private Process serve(List<String> jvm) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    cmd.addAll(jvm);
    cmd.addAll(List.of("-cp", jarsOnly(), Herald.class.getName(),
        "serve", "--port", "0", "--data", "mem", "--api-key", "archive-test-key-123456"));
    return new ProcessBuilder(cmd).redirectErrorStream(true).start();
  }

  /** The process's output until its serving line (and that line), or all of it if it ends first. */
  private static String untilServing(Process p) throws Exception {
    BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    StringBuilder out = new StringBuilder();
    String line;
    while ((line = r.readLine()) != null) {
      out.append(line).append('\n');
      if (line.startsWith("Herald is serving")) {
        break;
      }
    }
    Thread.ofPlatform().daemon(true).start(() -> r.lines().forEach(l -> { })); // keep the pipe drained
    return out.toString();
  }

  private static void stop(Process p) throws Exception {
    p.destroy();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void aServeAskedForAnArchive_writesOne_andTheNextStartMapsIt() throws Exception {
    Path archive = tmp.resolve("cache").resolve("herald.jsa");
    Process first = serve(List.of("-XX:+RecordDynamicDumpInfo", "-Dherald.cds.archive=" + archive,
        "-Xlog:cds=off", "-Xlog:cds+dynamic=off"));
    try {
      assertThat(untilServing(first)).contains("Herald is serving");
      Awaitility.await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200))
          .until(() -> Files.exists(archive) && Files.size(archive) > 0);
    } finally {
      stop(first);
    }
    try (var left = Files.list(archive.getParent())) {
      assertThat(left.map(f -> f.getFileName().toString()).toList()).as("no temporary file left").containsExactly("herald.jsa");
    }
    Process second = serve(List.of("-XX:SharedArchiveFile=" + archive, "-Xlog:cds=info", "-Xlog:cds+dynamic=info"));
    try {
      String out = untilServing(second);
      assertThat(out).contains("Herald is serving").contains("Mapped dynamic region")
          .doesNotContain("Unable to use shared archive");
    } finally {
      stop(second);
    }
  }

  @Test
  void withoutTheJvmsRecording_noArchiveIsAskedFor() {
    // this JVM runs without -XX:+RecordDynamicDumpInfo: the property alone asks for nothing
    String before = System.getProperty("herald.cds.archive");
    System.setProperty("herald.cds.archive", tmp.resolve("none.jsa").toString());
    try {
      assertThat(ClassDataArchive.requested()).isEmpty();
    } finally {
      if (before == null) {
        System.clearProperty("herald.cds.archive");
      } else {
        System.setProperty("herald.cds.archive", before);
      }
    }
  }
}
