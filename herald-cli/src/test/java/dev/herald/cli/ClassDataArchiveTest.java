package dev.herald.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
 * The class-data archive the launchers make: {@code herald train-archive} under
 * {@code -XX:ArchiveClassesAtExit} drives a private server and exits normally, which writes an
 * archive the JVM accepts; a server started with it maps it and keeps serving paths that link new
 * code (a server that had dumped an archive itself crashed on the next lambda it linked); and the
 * release launcher makes the archive in the background on a first {@code serve} and passes it to the
 * next one.
 */
class ClassDataArchiveTest {
  private static final String KEY = "archive-test-key-123456";
  private static final java.util.concurrent.atomic.AtomicInteger NAMES = new java.util.concurrent.atomic.AtomicInteger();

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

  private String java() {
    return ProcessHandle.current().info().command().orElse("java");
  }

  private Process serve(List<String> jvm, int port) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(java());
    cmd.addAll(jvm);
    cmd.addAll(List.of("-cp", jarsOnly(), Herald.class.getName(),
        "serve", "--port", Integer.toString(port), "--data", "mem", "--api-key", KEY));
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

  private static int freePort() throws Exception {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  /** Logs in, creates hosts and exports everything (the export's zip links lambdas nothing before did). */
  private static void exercise(int port) throws Exception {
    HttpClient http = HttpClient.newBuilder().cookieHandler(new java.net.CookieManager()).build();
    String base = "http://127.0.0.1:" + port + "/7.2";
    assertThat(send(http, HttpRequest.newBuilder(URI.create(base + "/login")).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"authenticationkey\":\"" + KEY + "\"}")))).isEqualTo(200);
    for (int n = 0; n < 3; n++) {
      int i = NAMES.getAndIncrement();
      assertThat(send(http, HttpRequest.newBuilder(URI.create(base + "/elements/host")).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"archive-" + i + "\",\"address\":\"192.0.2." + (i % 250 + 1) + "\"}"))))
          .isEqualTo(201);
    }
    assertThat(send(http, HttpRequest.newBuilder(URI.create(base + "/system/export_elements?type=all"))
        .POST(HttpRequest.BodyPublishers.noBody()))).isEqualTo(200);
    assertThat(send(http, HttpRequest.newBuilder(URI.create(base + "/elements/host?filter=archive-")).GET())).isEqualTo(200);
  }

  private static int send(HttpClient http, HttpRequest.Builder r) throws Exception {
    return http.send(r.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  @Test
  void theTrainingRunWritesAnArchive_andAServerStartedWithItMapsIt_andKeepsServing() throws Exception {
    Path archive = tmp.resolve("herald.jsa");
    Path scratch = Files.createDirectories(tmp.resolve("scratch"));
    Process training = new ProcessBuilder(java(), "-XX:ArchiveClassesAtExit=" + archive, "-Djava.io.tmpdir=" + scratch,
        "-cp", jarsOnly(), Herald.class.getName(), "train-archive")
        .redirectErrorStream(true).redirectOutput(tmp.resolve("training.log").toFile()).start();
    assertThat(training.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(training.exitValue()).as(Files.readString(tmp.resolve("training.log"))).isZero();
    assertThat(archive).isNotEmptyFile();
    try (var left = Files.list(scratch)) {
      assertThat(left.toList()).as("the training's data directory is removed").isEmpty();
    }
    int port = freePort();
    Process server = serve(List.of("-XX:SharedArchiveFile=" + archive, "-Xlog:cds=info", "-Xlog:cds+dynamic=info"), port);
    try {
      String out = untilServing(server);
      assertThat(out).contains("Herald is serving").contains("Mapped dynamic region")
          .doesNotContain("Unable to use shared archive");
      exercise(port);
      exercise(port); // twice: the first may still have been linking
      assertThat(server.isAlive()).isTrue();
    } finally {
      stop(server);
    }
  }

  /**
   * The release launcher (bin/herald) on an installation made of this build's jars: the first
   * {@code serve} serves at once and makes the archive in the background, in the user's cache, with
   * nothing left behind; the server keeps serving; the next {@code serve} is given the archive.
   */
  @Test
  void theReleaseLauncher_makesTheArchiveInTheBackground_andTheNextServeMapsIt() throws Exception {
    Path launcher = Path.of("..", "herald-dist", "src", "dist", "bin", "herald").toAbsolutePath().normalize();
    assertThat(launcher).exists();
    Path home = tmp.resolve("home");
    Files.createDirectories(home.resolve("bin"));
    Files.createDirectories(home.resolve("conf"));
    Path lib = Files.createDirectories(home.resolve("lib"));
    Files.copy(launcher, home.resolve("bin/herald"));
    Files.copy(launcher.resolveSibling("../conf/jvm.options").normalize(), home.resolve("conf/jvm.options"));
    for (String jar : jarsOnly().split(java.io.File.pathSeparator)) {
      Path j = Path.of(jar);
      if (j.toString().endsWith(".jar")) {
        Files.copy(j, lib.resolve(Integer.toHexString(jar.hashCode()) + "-" + j.getFileName()));
      }
    }
    Path cache = tmp.resolve("cache");
    int port = freePort();
    Process first = launch(home, cache, port);
    String archive;
    try {
      assertThat(untilServing(first)).contains("making a class-data archive in the background").contains("Herald is serving");
      Path dir = cache.resolve("herald");
      Awaitility.await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200)).until(() -> {
        try (var files = Files.list(dir)) {
          return files.map(f -> f.getFileName().toString()).toList();
        }
      }, names -> names.size() == 1 && names.get(0).endsWith(".jsa"));
      try (var files = Files.list(dir)) {
        archive = files.findFirst().orElseThrow().toString();
      }
      exercise(port);
      assertThat(first.isAlive()).isTrue();
    } finally {
      stop(first);
    }
    port = freePort();
    Process second = launch(home, cache, port);
    try {
      assertThat(untilServing(second)).doesNotContain("making a class-data archive").contains("Herald is serving");
      assertThat(second.info().arguments().map(List::of).orElse(List.of())).contains("-XX:SharedArchiveFile=" + archive);
      exercise(port);
    } finally {
      stop(second);
    }
  }

  private Process launch(Path home, Path cache, int port) throws Exception {
    ProcessBuilder pb = new ProcessBuilder("sh", home.resolve("bin/herald").toString(), "serve", "--port",
        Integer.toString(port), "--data", "mem", "--api-key", KEY).redirectErrorStream(true);
    pb.environment().put("XDG_CACHE_HOME", cache.toString());
    pb.environment().put("JAVA_HOME", Path.of(java()).getParent().getParent().toString());
    pb.environment().remove("HERALD_JAVA_OPTS");
    pb.environment().remove("HERALD_CDS");
    return pb.start();
  }
}
