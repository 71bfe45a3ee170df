package dev.herald.server;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;

/**
 * A byte-level WebSocket client: it shows exactly which frames the server sends (opcodes
 * included), and it can stop reading to play a stalled consumer.
 */
final class RawWebSocket implements AutoCloseable {
  record Frame(int opcode, byte[] payload) {
    String text() {
      return new String(payload, StandardCharsets.UTF_8);
    }

    int closeCode() {
      return payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : -1;
    }

    String closeReason() {
      return payload.length > 2 ? new String(payload, 2, payload.length - 2, StandardCharsets.UTF_8) : "";
    }
  }

  private final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;
  final int status;
  final String responseHead;

  private RawWebSocket(Socket socket, int status, String head, InputStream in) throws IOException {
    this.socket = socket;
    this.in = new DataInputStream(in);
    this.out = socket.getOutputStream();
    this.status = status;
    this.responseHead = head;
  }

  static RawWebSocket connect(int port, String path, Map<String, String> headers, int receiveBuffer)
      throws IOException {
    Socket s = new Socket();
    if (receiveBuffer > 0) {
      s.setReceiveBufferSize(receiveBuffer);
    }
    s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
    s.setSoTimeout(20_000);
    return upgrade(s, s.getInputStream(), port, path, headers);
  }

  /**
   * Sends the upgrade on a connection already open (one that may have carried HTTP requests
   * before, read through {@code in}).
   */
  static RawWebSocket upgrade(Socket s, InputStream in, int port, String path, Map<String, String> headers)
      throws IOException {
    byte[] key = new byte[16];
    new SecureRandom().nextBytes(key);
    StringBuilder req = new StringBuilder("GET " + path + " HTTP/1.1\r\n")
        .append("Host: 127.0.0.1:").append(port).append("\r\n")
        .append("Upgrade: websocket\r\nConnection: Upgrade\r\n")
        .append("Sec-WebSocket-Key: ").append(Base64.getEncoder().encodeToString(key)).append("\r\n")
        .append("Sec-WebSocket-Version: 13\r\n");
    headers.forEach((k, v) -> req.append(k).append(": ").append(v).append("\r\n"));
    req.append("\r\n");
    s.getOutputStream().write(req.toString().getBytes(StandardCharsets.US_ASCII));
    String h = readHead(in);
    int status = Integer.parseInt(h.substring(9, 12));
    return new RawWebSocket(s, status, h, in);
  }

  /** Reads an HTTP response head, up to and including the blank line. */
  static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        break;
      }
      head.write(b);
    }
    return head.toString(StandardCharsets.US_ASCII);
  }

  void sendText(String text) throws IOException {
    send(0x1, text.getBytes(StandardCharsets.UTF_8));
  }

  void send(int opcode, byte[] payload) throws IOException {
    ByteArrayOutputStream f = new ByteArrayOutputStream();
    f.write(0x80 | opcode);
    int len = payload.length;
    if (len < 126) {
      f.write(0x80 | len);
    } else if (len < 65536) {
      f.write(0x80 | 126);
      f.write(len >>> 8);
      f.write(len);
    } else {
      f.write(0x80 | 127);
      for (int i = 7; i >= 0; i--) {
        f.write((int) ((long) len >>> (8 * i)));
      }
    }
    byte[] mask = new byte[4];
    new SecureRandom().nextBytes(mask);
    f.write(mask);
    for (int i = 0; i < len; i++) {
      f.write(payload[i] ^ mask[i % 4]);
    }
    out.write(f.toByteArray());
    out.flush();
  }

  /** Reads the next whole frame (server frames are unmasked). */
  Frame read() throws IOException {
    int b0 = in.readUnsignedByte();
    int b1 = in.readUnsignedByte();
    long len = b1 & 0x7f;
    if (len == 126) {
      len = in.readUnsignedShort();
    } else if (len == 127) {
      len = in.readLong();
    }
    byte[] p = new byte[(int) len];
    in.readFully(p);
    return new Frame(b0 & 0x0f, p);
  }

  /** Reads frames until a text frame, failing on anything that is not text. */
  String readText() throws IOException {
    Frame f = read();
    if (f.opcode() != 0x1) {
      throw new AssertionError("expected a text frame, got opcode " + f.opcode() + " " + f.text());
    }
    return f.text();
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
