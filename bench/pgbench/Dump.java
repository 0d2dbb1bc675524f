import java.lang.reflect.Field;
public class Dump {
  public static void main(String[] a) throws Exception {
    String[][] f = {{"dev.hotpath.ingest.OrderWrites","READ"},{"dev.hotpath.ingest.OrderWrites","WRITE"},{"dev.hotpath.ingest.IdempotencyStore","SAVE"}};
    for (String[] x : f) { Field fl = Class.forName(x[0]).getDeclaredField(x[1]); fl.setAccessible(true);
      java.nio.file.Files.writeString(java.nio.file.Path.of("/tmp/batchsql/" + x[1] + ".sql"), (String) fl.get(null)); }
  }
}
