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
 * the process ends, however it ends.
 */
public final class DataDirectoryLock implements AutoCloseable {
  private final FileChannel channel;
  private final FileLock lock;

  private DataDirectoryLock(FileChannel channel, FileLock lock) {
    this.channel = channel;
    this.lock = lock;
  }

  /** Creates {@code dir} if needed and locks it. */
  public static DataDirectoryLock acquire(Path dir) {
    try {
      Files.createDirectories(dir);
      Path file = dir.resolve("herald.lock");
      FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
          StandardOpenOption.WRITE);
      FileLock l;
      try {
        l = ch.tryLock();
      } catch (java.nio.channels.OverlappingFileLockException e) {
        l = null; // this process holds it (another server in the same JVM)
      }
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
      return new DataDirectoryLock(ch, l);
    } catch (IOException e) {
      throw new HeraldException(500, "Cannot use the data directory " + dir.toAbsolutePath() + ".",
          java.util.List.of(String.valueOf(e)), e);
    }
  }

  @Override
  public void close() {
    try {
      lock.release();
      channel.close();
    } catch (IOException ignored) {
      // released by the operating system when the process ends anyway
    }
  }
}
