import org.apache.solr.embedded.JettyConfig;
import org.apache.solr.embedded.JettySolrRunner;

/**
 * Runs a real Solr 9 (production SolrDispatchFilter on Jetty) from Maven jars, because Maven
 * Central has no packaged Solr server. Usage: GovshareSolr <solrHome> <port>. Binds 127.0.0.1.
 */
public class GovshareSolr {
  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.err.println("usage: GovshareSolr <solrHome> <port>");
      System.exit(2);
    }
    int port = Integer.parseInt(args[1]);
    JettyConfig config =
        JettyConfig.builder()
            .setContext("/solr")
            .setPort(port)
            .stopAtShutdown(false) // our own hook below stops Solr (cores) and Jetty in order
            .waitForLoadingCoresToFinish(120_000L)
            .build();
    JettySolrRunner jetty = new JettySolrRunner(args[0], config);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    jetty.stop();
                  } catch (Exception e) {
                    e.printStackTrace();
                  }
                }));
    jetty.start();

    // A core with a broken schema/config does not stop Jetty; fail fast instead of
    // letting the caller wait for a ping that never answers.
    var failures = jetty.getCoreContainer().getCoreInitFailures();
    if (!failures.isEmpty()) {
      failures.forEach((core, f) -> System.err.println("core " + core + " failed: " + f.exception));
      System.exit(1);
    }
    System.out.println("Solr ready on port " + jetty.getLocalPort());
    Thread.currentThread().join(); // block until killed; the hook stops Jetty
  }
}
