package dev.herald.cli;

import dev.herald.client.HeraldApiException;
import dev.herald.client.HeraldClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import picocli.CommandLine.Option;

/**
 * Connection settings shared by the client commands: flags, else environment variables
 * ({@code HERALD_URL}, {@code HERALD_API_KEY}, {@code HERALD_USER}, {@code HERALD_PASSWORD},
 * {@code HERALD_DOMAIN}, {@code HERALD_API_VERSION}, {@code HERALD_CACERT},
 * {@code HERALD_INSECURE}), else the config file ({@code ~/.config/herald/config.properties} or
 * {@code --config}: the keys of {@link #FILE_KEYS}).
 */
final class Connection {
  /** The keys a client config file may set; any other key is a usage error (a typo). */
  static final Set<String> FILE_KEYS = Set.of("url", "api_key", "user", "password", "domain",
      "api_version", "cacert", "insecure");

  @Option(names = "--url", paramLabel = "URL",
      description = "Server URL, e.g. https://smc.example:8082 (env HERALD_URL). Default: port 8082 on this machine over http.")
  String url;

  @Option(names = "--api-key", paramLabel = "KEY", description = "API key (env HERALD_API_KEY).")
  String apiKey;

  @Option(names = "--user", paramLabel = "NAME", description = "Administrator name for lms_login (env HERALD_USER).")
  String user;

  @Option(names = "--password", paramLabel = "PASSWORD", description = "Administrator password (env HERALD_PASSWORD).")
  String password;

  @Option(names = "--domain", paramLabel = "DOMAIN", description = "Domain (env HERALD_DOMAIN; default Shared Domain).")
  String domain;

  @Option(names = "--api-version", paramLabel = "VERSION", description = "API version (default: the newest the server lists).")
  String apiVersion;

  @Option(names = "--cacert", paramLabel = "PEM",
      description = "Trust the certificate(s) in this PEM file for https/wss, e.g. a self-signed"
          + " server certificate (env HERALD_CACERT).")
  Path cacert;

  @Option(names = {"-k", "--insecure"},
      description = "Trust any server certificate and host name (development only; env HERALD_INSECURE=true).")
  boolean insecure;

  @Option(names = "--config", paramLabel = "FILE", description = "Config file (default ~/.config/herald/config.properties).")
  Path config;

  /** Exit codes of the client commands. */
  static final int OK = 0;
  static final int API_ERROR = 1;
  static final int USAGE = 2;
  static final int UNREACHABLE = 3;
  static final int AUTH = 4;
  /** A listener lost changes: the server no longer had them (or never had the position). */
  static final int HISTORY_LOST = 5;

  HeraldClient open() {
    Properties file = loadConfig();
    String u = pick(url, "HERALD_URL", file, "url").orElse("http://localhost:8082");
    HeraldClient.Builder b;
    try {
      b = HeraldClient.builder().url(u);
    } catch (IllegalArgumentException e) {
      throw new CliException(USAGE, e.getMessage());
    }
    Optional<String> key = pick(apiKey, "HERALD_API_KEY", file, "api_key");
    Optional<String> name = pick(user, "HERALD_USER", file, "user");
    if (key.isPresent()) {
      b.apiKey(key.get());
    } else if (name.isPresent()) {
      b.login(name.get(), pick(password, "HERALD_PASSWORD", file, "password")
          .orElseThrow(() -> new CliException(USAGE, "Give --password (or HERALD_PASSWORD) with --user.")));
    } else {
      throw new CliException(USAGE,
          "Give --api-key (or HERALD_API_KEY), or --user and --password, to log in to " + u + ".");
    }
    pick(domain, "HERALD_DOMAIN", file, "domain").ifPresent(b::domain);
    pick(apiVersion, "HERALD_API_VERSION", file, "api_version").ifPresent(b::apiVersion);
    boolean trustAll = insecure || pick(null, "HERALD_INSECURE", file, "insecure")
        .map(v -> v.equalsIgnoreCase("true") || v.equals("1") || v.equalsIgnoreCase("yes")).orElse(false);
    Optional<String> ca = cacert != null ? Optional.of(cacert.toString())
        : pick(null, "HERALD_CACERT", file, "cacert");
    try {
      if (trustAll) {
        b.insecure();
      } else if (ca.isPresent()) {
        b.trustCertificates(Path.of(ca.get()));
      }
    } catch (IllegalArgumentException e) {
      throw new CliException(USAGE, e.getMessage());
    }
    try {
      return b.build();
    } catch (HeraldApiException e) {
      int code = e.status() == 401 || e.status() == 403 || e.status() == 429 ? AUTH : API_ERROR;
      throw new CliException(code, "Login to " + u + " failed: " + e.getMessage());
    } catch (UncheckedIOException e) {
      String hint = e.getMessage().contains("PKIX") || e.getMessage().contains("certificate")
          ? " (a self-signed server? give its certificate with --cacert FILE, or --insecure)" : "";
      throw new CliException(UNREACHABLE, e.getMessage() + hint);
    }
  }

  private Properties loadConfig() {
    Path p = config != null ? config
        : Path.of(System.getProperty("user.home"), ".config", "herald", "config.properties");
    Properties props = new Properties();
    if (Files.isRegularFile(p)) {
      try (InputStream in = Files.newInputStream(p)) {
        props.load(in);
      } catch (IOException e) {
        throw new CliException(USAGE, "Cannot read " + p + ": " + e.getMessage());
      }
      for (String k : props.stringPropertyNames()) {
        if (!FILE_KEYS.contains(k)) {
          throw new CliException(USAGE, p + ": unknown setting '" + k + "' (known: "
              + String.join(", ", new TreeSet<>(FILE_KEYS)) + ")");
        }
      }
    } else if (config != null) {
      throw new CliException(USAGE, "No config file at " + p + ".");
    }
    return props;
  }

  private static Optional<String> pick(String flag, String env, Properties file, String key) {
    if (flag != null) {
      return Optional.of(flag);
    }
    String e = System.getenv(env);
    if (e != null && !e.isEmpty()) {
      return Optional.of(e);
    }
    return Optional.ofNullable(file.getProperty(key)).map(String::strip);
  }
}
