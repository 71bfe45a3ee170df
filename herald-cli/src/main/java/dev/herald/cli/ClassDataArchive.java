package dev.herald.cli;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import javax.management.ObjectName;

/**
 * Makes the class-data archive that later starts of {@code herald} map (the launchers pass
 * {@code -XX:SharedArchiveFile} once it exists, and delete it when the libraries or the JDK are
 * newer). The JVM writes an archive of its own accord only at a normal exit, which a server
 * stopped by a signal never has; so a {@code serve} started without one (the launcher then passes
 * {@code -XX:+RecordDynamicDumpInfo -Dherald.cds.archive=PATH}) dumps the classes it has loaded a
 * few seconds after it serves, through the JVM's {@code VM.cds dynamic_dump} diagnostic command,
 * into a temporary file moved into place whole. A failure only costs the speed-up: it is logged.
 */
final class ClassDataArchive {
  private ClassDataArchive() {}

  /** The archive to make, when the launcher asked for one and the JVM records what it needs. */
  static Optional<Path> requested() {
    String where = System.getProperty("herald.cds.archive");
    if (where == null || where.isBlank() || !recording()) {
      return Optional.empty();
    }
    return Optional.of(Path.of(where));
  }

  private static boolean recording() {
    try {
      return Boolean.parseBoolean(ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class)
          .getVMOption("RecordDynamicDumpInfo").getValue());
    } catch (RuntimeException e) {
      return false;
    }
  }

  /** Starts a daemon thread that dumps the archive after {@code delayMs}. */
  static void dumpLater(Path archive, long delayMs) {
    Thread t = Thread.ofPlatform().daemon(true).name("herald-cds").unstarted(() -> {
      try {
        Thread.sleep(delayMs);
        dump(archive);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    t.start();
  }

  /** The command joins its arguments with blanks: a path with one is quoted. */
  private static String quoted(String path) {
    return path.contains(" ") ? "\"" + path + "\"" : path;
  }

  static void dump(Path archive) {
    Path tmp = archive.resolveSibling(archive.getFileName() + ".tmp-" + ProcessHandle.current().pid());
    try {
      Files.createDirectories(archive.toAbsolutePath().getParent());
      ManagementFactory.getPlatformMBeanServer().invoke(new ObjectName("com.sun.management:type=DiagnosticCommand"),
          "vmCds", new Object[] {new String[] {"dynamic_dump", quoted(tmp.toString())}}, new String[] {String[].class.getName()});
      if (Files.size(tmp) > 0) {
        Files.move(tmp, archive, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      }
    } catch (Exception e) {
      org.slf4j.LoggerFactory.getLogger(ClassDataArchive.class).info("no class-data archive made ({}): starts stay slower", e.toString());
    } finally {
      try {
        Files.deleteIfExists(tmp);
      } catch (java.io.IOException ignored) {
        // nothing left to do
      }
    }
  }
}
