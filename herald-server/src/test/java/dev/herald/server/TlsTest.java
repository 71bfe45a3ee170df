package dev.herald.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.Writer;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.Date;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;

/** https and wss on the same port, from PEM files. */
class TlsTest {

  @Test
  void pemCertificate_servesHttpsAndWss_withSecureCookie() throws Exception {
    Path dir = Files.createTempDirectory("herald-tls");
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(256);
    KeyPair kp = g.generateKeyPair();
    X509Certificate cert = new JcaX509CertificateConverter().getCertificate(
        new JcaX509v3CertificateBuilder(new X500Name("CN=127.0.0.1"), BigInteger.ONE,
            new Date(System.currentTimeMillis() - 60_000), new Date(System.currentTimeMillis() + 86_400_000),
            new X500Name("CN=127.0.0.1"), kp.getPublic())
            .addExtension(org.bouncycastle.asn1.x509.Extension.subjectAlternativeName, false,
                new org.bouncycastle.asn1.x509.GeneralNames(new org.bouncycastle.asn1.x509.GeneralName(
                    org.bouncycastle.asn1.x509.GeneralName.iPAddress, "127.0.0.1")))
            .build(new JcaContentSignerBuilder("SHA256withECDSA").build(kp.getPrivate())));
    Path certPem = dir.resolve("cert.pem");
    Path keyPem = dir.resolve("key.pem");
    try (Writer w = Files.newBufferedWriter(certPem); JcaPEMWriter pw = new JcaPEMWriter(w)) {
      pw.writeObject(cert);
    }
    try (Writer w = Files.newBufferedWriter(keyPem); JcaPEMWriter pw = new JcaPEMWriter(w)) {
      pw.writeObject(new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(kp.getPrivate(), null)); // BEGIN PRIVATE KEY
    }
    try (TestServer server = TestServer.start(b -> b.tls(new ServerConfig.Tls(
        java.util.Optional.of(certPem), java.util.Optional.of(keyPem), java.util.Optional.empty(),
        java.util.Optional.empty())))) {
      SSLContext trustAll = SSLContext.getInstance("TLS");
      trustAll.init(null, new TrustManager[] {new X509TrustManager() {
        public void checkClientTrusted(X509Certificate[] c, String a) {}
        public void checkServerTrusted(X509Certificate[] c, String a) {}
        public X509Certificate[] getAcceptedIssuers() {
          return new X509Certificate[0];
        }
      }}, new SecureRandom());
      java.net.CookieManager cookies = new java.net.CookieManager();
      HttpClient http = HttpClient.newBuilder().sslContext(trustAll).cookieHandler(cookies).build();
      String base = "https://127.0.0.1:" + server.server().port();
      HttpResponse<String> login = http.send(HttpRequest.newBuilder(URI.create(base + "/7.2/login"))
          .header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"authenticationkey\":\"" + TestServer.API_KEY + "\"}")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(login.statusCode()).isEqualTo(200);
      assertThat(login.headers().firstValue("Set-Cookie").orElseThrow()).contains("; Secure");
      String cookie = login.headers().firstValue("Set-Cookie").orElseThrow().split(";")[0];
      CompletableFuture<String> first = new CompletableFuture<>();
      WebSocket ws = http.newWebSocketBuilder().header("Cookie", cookie)
          .buildAsync(URI.create("wss://127.0.0.1:" + server.server().port() + "/7.2/notification/socket"),
              new WebSocket.Listener() {
                @Override
                public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                  first.complete(data.toString());
                  return null;
                }
              }).join();
      ws.sendText("{\"context\":\"*\"}", true).join();
      assertThat(first.get(10, TimeUnit.SECONDS)).contains("\"subscription_id\":0");
      ws.abort();
      // "share the socket itself" over TLS: log in, then upgrade on the same TLS connection
      try (java.net.Socket tls = trustAll.getSocketFactory().createSocket("127.0.0.1", server.server().port())) {
        tls.setSoTimeout(20_000);
        ConnectionAuthTest.loginThenSubscribeOnTheSameConnection(tls, server.server().port(), () ->
            assertThat(http.send(HttpRequest.newBuilder(URI.create(base + "/7.2/elements/host"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"over-tls\",\"address\":\"192.0.2.8\"}")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(201));
      }
      // plain http on the TLS port gets no HTTP answer
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.server().port() + "/api")).build(),
          HttpResponse.BodyHandlers.ofString())).isInstanceOf(java.io.IOException.class);
    } finally {
      TestServer.deleteTree(dir);
    }
  }
}
