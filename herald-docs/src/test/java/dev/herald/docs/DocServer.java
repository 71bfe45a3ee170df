package dev.herald.docs;

import dev.herald.server.HeraldServer;
import dev.herald.server.ServerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** A real server on a free loopback port with a fresh data directory, for one Markdown file. */
final class DocServer implements AutoCloseable {
  static final String API_KEY = "docs-test-api-key";
  static final String ADMIN_PASSWORD = "docs-test-admin";

  final HeraldServer server;
  private final Path data;

  private DocServer(HeraldServer server, Path data) {
    this.server = server;
    this.data = data;
  }

  /**
   * @param retentionCount changes the log keeps (the protocol page shows history_expired with 5)
   */
  static DocServer start(long retentionCount) throws Exception {
    Path data = Files.createTempDirectory("herald-docs");
    return new DocServer(HeraldServer.start(ServerConfig.builder().port(0).dataDir(data)
        .apiKey(API_KEY).adminPassword(ADMIN_PASSWORD).secretHashIterations(10_000)
        .retentionCount(retentionCount).build()), data);
  }

  int port() {
    return server.port();
  }

  String url() {
    return "http://127.0.0.1:" + port();
  }

  @Override
  public void close() throws Exception {
    try {
      server.close();
    } finally {
      try (Stream<Path> s = Files.walk(data)) {
        s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
