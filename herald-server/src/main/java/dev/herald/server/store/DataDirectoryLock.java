package dev.herald.server.store;

import dev.herald.server.HeraldException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An exclusive lock on an embedded data directory, held for as long as a server uses it: a second
 * server on the same directory fails at once, naming the process that holds it. The lock file
 * ({@code herald.lock}) holds that process's id; the operating system releases the lock when
 * the process ends, however it ends. Servers in one process may share a directory (tests run
 * two nodes on one embedded database); the lock is released when the last of them closes.
 */
public final class DataDirectoryLock implements AutoCloseable {
  /** Directories this process holds, with how many servers use each; guarded by itself. */
  private static final java.util.Map<Path, Held> HELD = new java.util.HashMap<>();

  private record Held(FileChannel channel, FileLock lock, int users) {}

  private final Path key;
  private boolean closed;

  private DataDirectoryLock(Path key) {
    this.key = key;
  }

  /** Creates {@code dir} if needed and locks it. */
  public static DataDirectoryLock acquire(Path dir) {
    Path key = dir.toAbsolutePath().normalize();
    synchronized (HELD) {
      Held held = HELD.get(key);
      if (held != null) {
        HELD.put(key, new Held(held.channel(), held.lock(), held.users() + 1));
        return new DataDirectoryLock(key);
      }
      Held fresh = lock(dir);
      HELD.put(key, fresh);
      return new DataDirectoryLock(key);
    }
  }

  private static Held lock(Path dir) {
    try {
      Files.createDirectories(dir);
      Path file = dir.resolve("herald.lock");
      FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
          StandardOpenOption.WRITE);
      FileLock l = ch.tryLock();
      if (l == null) {
        String holder = new String(Files.readAllBytes(file), StandardCharsets.UTF_8).strip();
        ch.close();
        throw new HeraldException(409, "The data directory " + dir.toAbsolutePath()
            + " is already in use" + (holder.isEmpty() ? "" : " by process " + holder) + ".",
            "Stop that server, or give another directory with --data.");
      }
      ch.truncate(0);
      ch.write(ByteBuffer.wrap(Long.toString(ProcessHandle.current().pid())
          .getBytes(StandardCharsets.UTF_8)), 0);
      ch.force(false);
      return new Held(ch, l, 1);
    } catch (IOException e) {
      throw new HeraldException(500, "Cannot use the data directory " + dir.toAbsolutePath() + ".",
          java.util.List.of(String.valueOf(e)), e);
    }
  }

  @Override
  public void close() {
    synchronized (HELD) {
      if (closed) {
        return;
      }
      closed = true;
      Held held = HELD.get(key);
      if (held.users() > 1) {
        HELD.put(key, new Held(held.channel(), held.lock(), held.users() - 1));
        return;
      }
      HELD.remove(key);
      try {
        held.lock().release();
        held.channel().close();
      } catch (IOException ignored) {
        // released by the operating system when the process ends anyway
      }
    }
  }
}
