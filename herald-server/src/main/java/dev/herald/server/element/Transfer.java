package dev.herald.server.element;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.herald.protocol.Json;
import dev.herald.server.store.ElementRecord;
import dev.herald.server.task.Tasks;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;
import javax.xml.stream.XMLStreamWriter;
import javax.xml.stream.XMLOutputFactory;

/**
 * Herald's export file, as SMC's export_elements makes one and import_elements reads it: a zip
 * holding {@code exported_data.xml}. SMC's own XML schema is not published, so the XML is
 * Herald's: one {@code <element type="…" name="…">} per element, its attributes as JSON text,
 * references as {@code herald-ref:TYPE:NAME} (resolved by name on import, so a file moves
 * between servers). An SMC export cannot be imported into Herald, nor Herald's into SMC.
 */
public final class Transfer {
  /** The entry SMC's export zip holds (smc-python's example opens it by this name). */
  public static final String ENTRY = "exported_data.xml";
  /** An import file's limits: the XML's size once unzipped, and the zip's entries. */
  static final long MAX_XML_BYTES = 64L * 1024 * 1024;
  static final int MAX_ENTRIES = 16;

  private final ElementService elements;

  public Transfer(ElementService elements) {
    this.elements = elements;
  }

  /** The zip of {@code records}. */
  public byte[] export(List<ElementRecord> records, Tasks.Context ctx) throws IOException, XMLStreamException {
    return export(records, ctx, java.util.Optional.empty());
  }

  /**
   * The zip of {@code records}, its entry encrypted with {@code password} when one is given
   * (AES-256, as zip tools read it: smc-python's {@code export_elements(file_password=…)}).
   */
  public byte[] export(List<ElementRecord> records, Tasks.Context ctx, java.util.Optional<String> password)
      throws IOException, XMLStreamException {
    ByteArrayOutputStream xml = new ByteArrayOutputStream();
    XMLStreamWriter w = XMLOutputFactory.newFactory().createXMLStreamWriter(xml, "UTF-8");
    w.writeStartDocument("UTF-8", "1.0");
    w.writeCharacters("\n");
    w.writeStartElement("exported_data");
    w.writeAttribute("origin", "Herald");
    w.writeAttribute("format", "1");
    w.writeCharacters("\n");
    int i = 0;
    for (ElementRecord r : records) {
      if (++i % 200 == 0) {
        ctx.checkAbort();
        ctx.progress(i * 90 / records.size(), "Exported " + i + " of " + records.size() + " elements.");
      }
      w.writeCharacters("  ");
      w.writeStartElement("element");
      w.writeAttribute("type", r.type());
      w.writeAttribute("name", r.name());
      w.writeCharacters(Json.write(elements.forExport(r)));
      w.writeEndElement();
      w.writeCharacters("\n");
    }
    w.writeEndElement();
    w.writeEndDocument();
    w.close();
    ByteArrayOutputStream zip = new ByteArrayOutputStream();
    if (password.isPresent()) {
      net.lingala.zip4j.model.ZipParameters p = new net.lingala.zip4j.model.ZipParameters();
      p.setFileNameInZip(ENTRY);
      p.setEncryptFiles(true);
      p.setEncryptionMethod(net.lingala.zip4j.model.enums.EncryptionMethod.AES);
      p.setAesKeyStrength(net.lingala.zip4j.model.enums.AesKeyStrength.KEY_STRENGTH_256);
      try (var z = new net.lingala.zip4j.io.outputstream.ZipOutputStream(zip, password.get().toCharArray())) {
        z.putNextEntry(p);
        z.write(xml.toByteArray());
        z.closeEntry();
      }
      return zip.toByteArray();
    }
    try (ZipOutputStream z = new ZipOutputStream(zip)) {
      z.putNextEntry(new ZipEntry(ENTRY));
      z.write(xml.toByteArray());
      z.closeEntry();
    }
    return zip.toByteArray();
  }

  /**
   * The elements of an export file.
   *
   * @throws Tasks.Failed the file is not one (not a zip, no exported_data.xml, bad XML or JSON,
   *     too big), with what is wrong
   */
  public static List<ElementService.Imported> read(byte[] file) {
    return read(file, java.util.Optional.empty());
  }

  /** The elements of an export file encrypted with {@code password} (or not encrypted: none). */
  public static List<ElementService.Imported> read(byte[] file, java.util.Optional<String> password) {
    byte[] xml = password.isPresent() ? unzipEncrypted(file, password.get()) : unzip(file);
    XMLInputFactory f = XMLInputFactory.newFactory();
    // no DTDs, no external entities: an import file cannot make the server read anything else
    f.setProperty(XMLInputFactory.SUPPORT_DTD, false);
    f.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
    List<ElementService.Imported> out = new ArrayList<>();
    try {
      XMLStreamReader r = f.createXMLStreamReader(new ByteArrayInputStream(xml));
      boolean root = false;
      while (r.hasNext()) {
        int ev = r.next();
        if (ev != XMLStreamConstants.START_ELEMENT) {
          continue;
        }
        if (!root) {
          if (!r.getLocalName().equals("exported_data")) {
            throw new Tasks.Failed("The file is not an export: " + ENTRY + " starts with <" + r.getLocalName() + ">.");
          }
          root = true;
          continue;
        }
        if (!r.getLocalName().equals("element")) {
          throw new Tasks.Failed("The file is not an export Herald reads: unexpected <" + r.getLocalName()
              + "> at line " + r.getLocation().getLineNumber() + ".");
        }
        String type = r.getAttributeValue(null, "type");
        String name = r.getAttributeValue(null, "name");
        if (type == null || name == null || !Catalogue.isRelName(type)) {
          throw new Tasks.Failed("The file names an element without a known type and a name at line "
              + r.getLocation().getLineNumber() + ".");
        }
        String text = r.getElementText();
        JsonNode body = Json.parseObject(text).orElse(null);
        if (!(body instanceof ObjectNode o)) {
          throw new Tasks.Failed("The attributes of " + type + " " + name + " are not a JSON object.");
        }
        out.add(new ElementService.Imported(type, name, o));
      }
      if (!root) {
        throw new Tasks.Failed(ENTRY + " is empty.");
      }
    } catch (XMLStreamException e) {
      throw new Tasks.Failed("The file's " + ENTRY + " is not well-formed XML: " + e.getMessage());
    }
    return out;
  }

  private static byte[] unzip(byte[] file) {
    return unzip(file, ENTRY::equals, ENTRY);
  }

  /** {@link #ENTRY} of a zip encrypted with a password (AES or zip's own encryption). */
  private static byte[] unzipEncrypted(byte[] file, String password) {
    try (var z = new net.lingala.zip4j.io.inputstream.ZipInputStream(new ByteArrayInputStream(file), password.toCharArray())) {
      int entries = 0;
      boolean any = false;
      for (var e = z.getNextEntry(); e != null; e = z.getNextEntry()) {
        any = true;
        if (++entries > MAX_ENTRIES) {
          throw new Tasks.Failed("The file holds more than " + MAX_ENTRIES + " entries.");
        }
        if (e.getFileName().equals(ENTRY)) {
          return readBounded(z, ENTRY);
        }
      }
      throw new Tasks.Failed(any ? "The file holds no " + ENTRY + "." : "The file is not a zip file.");
    } catch (net.lingala.zip4j.exception.ZipException e) {
      throw new Tasks.Failed(e.getType() == net.lingala.zip4j.exception.ZipException.Type.WRONG_PASSWORD
          ? "The file_password does not open the file." : "The file cannot be read: " + e.getMessage());
    } catch (IOException e) {
      throw new Tasks.Failed("The file cannot be read: " + e.getMessage());
    }
  }

  /**
   * The first entry of a zip whose name {@code wanted} accepts ({@code what} names it in
   * messages), bounded in size and entries; a bad file fails the task saying what is wrong.
   */
  static byte[] unzip(byte[] file, java.util.function.Predicate<String> wanted, String what) {
    try (ZipInputStream z = new ZipInputStream(new ByteArrayInputStream(file))) {
      ZipEntry e;
      int entries = 0;
      boolean any = false;
      while ((e = z.getNextEntry()) != null) {
        any = true;
        if (++entries > MAX_ENTRIES) {
          throw new Tasks.Failed("The file holds more than " + MAX_ENTRIES + " entries.");
        }
        if (wanted.test(e.getName())) {
          return readBounded(z, e.getName());
        }
      }
      throw new Tasks.Failed(any ? "The file holds no " + what + "." : "The file is not a zip file.");
    } catch (ZipException e) {
      if (String.valueOf(e.getMessage()).contains("encrypted")) {
        throw new Tasks.Failed("The file is encrypted: give its file_password.");
      }
      throw new Tasks.Failed("The file is not a zip file: " + e.getMessage());
    } catch (IOException e) {
      throw new Tasks.Failed("The file cannot be read: " + e.getMessage());
    }
  }

  private static byte[] readBounded(InputStream in, String entry) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[64 * 1024];
    long total = 0;
    int n;
    while ((n = in.read(buf)) > 0) {
      total += n;
      if (total > MAX_XML_BYTES) {
        throw new Tasks.Failed(entry + " is larger than " + MAX_XML_BYTES / (1024 * 1024) + " MB once unzipped.");
      }
      out.write(buf, 0, n);
    }
    return out.toByteArray();
  }
}
