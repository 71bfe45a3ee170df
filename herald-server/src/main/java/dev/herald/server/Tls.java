package dev.herald.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/** Builds Jetty's TLS context from PEM files (any common key format) or a keystore. */
final class Tls {
  private Tls() {}

  static SslContextFactory.Server contextFactory(ServerConfig.Tls tls) {
    SslContextFactory.Server f = new SslContextFactory.Server();
    String password = tls.password().orElse("");
    try {
      if (tls.keystore().isPresent()) {
        Path ks = tls.keystore().get();
        String type = ks.toString().endsWith(".jks") ? "JKS" : "PKCS12";
        KeyStore store = KeyStore.getInstance(type);
        try (InputStream in = Files.newInputStream(ks)) {
          store.load(in, password.toCharArray());
        }
        f.setKeyStore(store);
        f.setKeyStorePassword(password);
      } else {
        Path cert = tls.certPem().orElseThrow(() -> new IllegalArgumentException("--tls-cert is required"));
        Path key = tls.keyPem().orElseThrow(() -> new IllegalArgumentException("--tls-key is required"));
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        Collection<? extends Certificate> chain;
        try (InputStream in = Files.newInputStream(cert)) {
          chain = CertificateFactory.getInstance("X.509").generateCertificates(in);
        }
        if (chain.isEmpty()) {
          throw new IllegalArgumentException("No certificate in " + cert);
        }
        String pass = "herald";
        store.setKeyEntry("herald", readKey(key), pass.toCharArray(), chain.toArray(Certificate[]::new));
        f.setKeyStore(store);
        f.setKeyStorePassword(pass);
      }
    } catch (IOException | java.security.GeneralSecurityException e) {
      throw new IllegalArgumentException("Cannot load the TLS certificate/key: " + e.getMessage(), e);
    }
    return f;
  }

  private static PrivateKey readKey(Path key) throws IOException {
    try (Reader r = Files.newBufferedReader(key); PEMParser p = new PEMParser(r)) {
      Object o = p.readObject();
      JcaPEMKeyConverter conv = new JcaPEMKeyConverter();
      if (o instanceof PEMKeyPair kp) {
        return kp.getPublicKeyInfo() != null
            ? conv.getKeyPair(kp).getPrivate()
            : conv.getPrivateKey(kp.getPrivateKeyInfo());
      }
      if (o instanceof PrivateKeyInfo info) {
        return conv.getPrivateKey(info);
      }
      throw new IllegalArgumentException(
          key + " holds no unencrypted private key (PKCS#1, PKCS#8 or SEC1 PEM expected)");
    }
  }
}
