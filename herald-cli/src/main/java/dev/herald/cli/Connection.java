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
import picocli.CommandLine.Option;

/**
 * Connection settings shared by the client commands: flags, else environment variables
 * ({@code HERALD_URL}, {@code HERALD_API_KEY}, {@code HERALD_USER}, {@code HERALD_PASSWORD},
 * {@code HERALD_DOMAIN}), else the config file ({@code ~/.config/herald/config.properties} or
 * {@code --config}: keys url, api_key, user, password, domain, api_version).
 */
final class Connection {
  @Option(names = "--url", description = "Server URL (env HERALD_URL; default http://localhost:8082).")
  String url;

  @Option(names = "--api-key", description = "API key (env HERALD_API_KEY).")
  String apiKey;

  @Option(names = "--user", description = "Administrator name for lms_login (env HERALD_USER).")
  String user;

  @Option(names = "--password", description = "Administrator password (env HERALD_PASSWORD).")
  String password;

  @Option(names = "--domain", description = "Domain (env HERALD_DOMAIN; default Shared Domain).")
  String domain;

  @Option(names = "--api-version", description = "API version (default: the newest the server lists).")
  String apiVersion;

  @Option(names = "--config", description = "Config file (default ~/.config/herald/config.properties).")
  Path config;

  /** Exit codes of the client commands. */
  static final int OK = 0;
  static final int API_ERROR = 1;
  static final int USAGE = 2;
  static final int UNREACHABLE = 3;
  static final int AUTH = 4;

  HeraldClient open() {
    Properties file = loadConfig();
    String u = pick(url, "HERALD_URL", file, "url").orElse("http://localhost:8082");
    HeraldClient.Builder b = HeraldClient.builder().url(u);
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
    try {
      return b.build();
    } catch (HeraldApiException e) {
      int code = e.status() == 401 || e.status() == 403 || e.status() == 429 ? AUTH : API_ERROR;
      throw new CliException(code, "Login to " + u + " failed: " + e.getMessage());
    } catch (UncheckedIOException e) {
      throw new CliException(UNREACHABLE, e.getMessage());
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
    return Optional.ofNullable(file.getProperty(key));
  }
}
