package dev.herald.cli;

import static dev.herald.cli.CliTest.awaitLine;
import static dev.herald.cli.CliTest.finish;
import static dev.herald.cli.CliTest.lines;
import static dev.herald.cli.CliTest.startCli;
import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.server.ServerConfig;
import dev.herald.testing.HeraldExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The CLI against a server with a self-signed certificate: https and wss. */
class CliTlsTest {
  private static final Path DIR;
  private static final SelfSignedCertificate CERT;

  static {
    try {
      DIR = Files.createTempDirectory("herald-cli-tls");
      CERT = SelfSignedCertificate.create(DIR);
    } catch (Exception e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  @RegisterExtension
  static HeraldExtension herald = HeraldExtension.create(b -> b.tls(new ServerConfig.Tls(
      Optional.of(CERT.certPem()), Optional.of(CERT.keyPem()), Optional.empty(), Optional.empty())));

  @TempDir
  Path home;

  private String url() {
    return herald.url().replace("http://", "https://");
  }

  private CliTest.Run run(Map<String, String> env, String... args) throws Exception {
    return finish(startCli(url(), herald.apiKey(), home, env, args));
  }

  @Test
  void aSelfSignedServer_isRefusedWithAHint_thenTrustedWithCacertOrInsecure() throws Exception {
    CliTest.Run refused = run(Map.of(), "search", "host");
    assertThat(refused.exit()).isEqualTo(3);
    assertThat(refused.err()).contains("--cacert").contains("--insecure");

    CliTest.Run withCa = run(Map.of(), "create", "host", "name=tls-1", "address=10.7.0.1",
        "--cacert", CERT.certPem().toString());
    assertThat(withCa.exit()).as(withCa.err()).isZero();
    assertThat(withCa.out()).startsWith(url());

    CliTest.Run viaEnv = run(Map.of("HERALD_CACERT", CERT.certPem().toString()), "get", "host", "tls-1");
    assertThat(viaEnv.exit()).as(viaEnv.err()).isZero();

    CliTest.Run insecure = run(Map.of(), "search", "host", "--insecure");
    assertThat(insecure.exit()).as(insecure.err()).isZero();
    assertThat(insecure.out()).contains("tls-1");

    CliTest.Run notPem = run(Map.of(), "search", "--cacert", DIR.resolve("missing.pem").toString());
    assertThat(notPem.exit()).isEqualTo(2);
    assertThat(notPem.err()).contains("cannot read");
  }

  @Test
  void listen_overWss_withTheServersCertificate() throws Exception {
    Process p = startCli(url(), herald.apiKey(), home, Map.of(), "listen", "host", "--json",
        "--cacert", CERT.certPem().toString());
    var err = lines(p.getErrorStream());
    var out = lines(p.getInputStream());
    try {
      awaitLine(err, "listening to host on " + url());
      CliTest.Run created = run(Map.of(), "create", "host", "name=over-wss", "address=10.7.0.2", "--insecure");
      assertThat(created.exit()).as(created.err()).isZero();
      assertThat(out.poll(30, TimeUnit.SECONDS)).contains(created.out().strip());
    } finally {
      p.destroy();
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }
  }
}
