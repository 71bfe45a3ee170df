package dev.herald.server.element;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.protocol.Json;
import dev.herald.server.HeraldException;
import dev.herald.server.store.ElementRecord;
import java.io.ByteArrayInputStream;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.time.InstantSource;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * The Management Server's certificate authorities (type {@code certificate_authority}), as
 * smc-python's {@code System.smc_certificate_authority} lists them and
 * {@code import_new_certificate_authority_certificate} adds one: a multipart POST of
 * {@code system/certificate_authority} with the CA's certificate in the part
 * {@code ca_certificate} (PEM or DER). Each has a {@code certificate_state} — the Terraform
 * provider's schema names the states {@code active} and {@code untrusted} — its {@code certificate}
 * (the PEM, smc-python's {@code export_certificate}) and {@code untrust} (a task that makes it
 * untrusted, smc-python's {@code un_trust}).
 *
 * <p>SMC's own internal CA, which signs its components' certificates, is not among Herald's
 * built-ins: its name in a fresh SMC is not known from any client. The certificate is checked as
 * a certificate authority's (parsed, a CA's basic constraints, within its validity); Herald signs
 * nothing with it.
 */
public final class CertificateAuthorities {
  public static final String TYPE = "certificate_authority";
  private static final String CERTIFICATE = "certificate";
  /** The largest certificate file accepted. */
  public static final int MAX_BYTES = 64 * 1024;

  private final ElementService elements;
  private final InstantSource clock;

  public CertificateAuthorities(ElementService elements, InstantSource clock) {
    this.elements = elements;
    this.clock = clock;
  }

  public List<ElementRecord> list(Caller caller) {
    return elements.search(caller, Set.of(TYPE), Optional.empty(), false, false, Integer.MAX_VALUE);
  }

  /** Imports a CA from its certificate: named after its subject's common name. */
  public ElementRecord importCertificate(Caller caller, byte[] file) {
    String what = "Impossible to import the certificate authority.";
    X509Certificate cert;
    try {
      cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(file));
    } catch (CertificateException | ClassCastException e) {
      throw HeraldException.badRequest(what, "The file is not an X.509 certificate (PEM or DER).");
    }
    if (cert.getBasicConstraints() < 0) {
      throw HeraldException.badRequest(what, "The certificate of " + cert.getSubjectX500Principal().getName()
          + " is not a certificate authority's (its basic constraints do not say CA).");
    }
    try {
      cert.checkValidity(Date.from(clock.instant()));
    } catch (CertificateExpiredException | CertificateNotYetValidException e) {
      throw HeraldException.badRequest(what, "The certificate is valid from " + cert.getNotBefore().toInstant()
          + " to " + cert.getNotAfter().toInstant() + ", not now.");
    }
    ObjectNode body = Json.object();
    body.put("name", name(cert));
    body.put("certificate_state", "active");
    return elements.create(caller, TYPE, body, Map.of(CERTIFICATE, pem(cert)));
  }

  /** The CA's certificate as PEM. */
  public String certificate(Caller caller, long key) {
    ElementRecord r = elements.get(caller, TYPE, key);
    return elements.store().resource(r.key(), CERTIFICATE).orElseThrow(() -> HeraldException.notFound(
        "No certificate for " + r.name() + ".", "It was created without one (only an imported CA has one)."));
  }

  /** Checked before the untrust task starts: a CA the caller may change, not untrusted yet. */
  public ElementRecord checkUntrust(Caller caller, long key) {
    ElementRecord r = elements.writableForLink(caller, TYPE, key, "untrust");
    if ("untrusted".equals(ElementService.parse(r.body()).path("certificate_state").asText())) {
      throw HeraldException.badRequest("Impossible to untrust " + r.name() + ".", "It is untrusted already.");
    }
    return r;
  }

  public ElementRecord untrust(Caller caller, ElementRecord r) {
    return elements.edit(caller, r, b -> {
      // checked again inside the write: another untrust, or a lock, came meanwhile
      if ("untrusted".equals(b.path("certificate_state").asText()) || b.path("locked").asBoolean(false)) {
        throw new dev.herald.server.task.Tasks.Failed(r.name() + " was untrusted or locked meanwhile.");
      }
      b.put("certificate_state", "untrusted");
    });
  }

  private static String name(X509Certificate cert) {
    String dn = cert.getSubjectX500Principal().getName();
    try {
      for (Rdn rdn : new LdapName(dn).getRdns()) {
        if (rdn.getType().equalsIgnoreCase("CN")) {
          return rdn.getValue().toString();
        }
      }
    } catch (InvalidNameException e) {
      // no readable RDNs: the whole name
    }
    return dn;
  }

  private static String pem(X509Certificate cert) {
    try {
      return "-----BEGIN CERTIFICATE-----\n"
          + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(cert.getEncoded())
          + "\n-----END CERTIFICATE-----\n";
    } catch (java.security.cert.CertificateEncodingException e) {
      throw new IllegalStateException("a parsed certificate could not be encoded again", e);
    }
  }
}
