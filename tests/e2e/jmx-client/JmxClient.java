import java.util.Map;
import javax.management.Attribute;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

/**
 * A JMX client as jconsole is one: `java JmxClient.java <host> <port>`, with the user name
 * and password in JMX_USERNAME and JMX_PASSWORD when set. It connects through the node's
 * RMI registry, counts the kafka.server MBeans and tries one write; it prints one line each,
 * and exits 2 when the node refuses the connection.
 */
public class JmxClient {
    public static void main(String[] args) throws Exception {
        JMXServiceURL url = new JMXServiceURL(
                "service:jmx:rmi:///jndi/rmi://" + args[0] + ":" + args[1] + "/jmxrmi");
        String user = System.getenv("JMX_USERNAME");
        Map<String, Object> environment = user == null ? Map.of()
                : Map.of(JMXConnector.CREDENTIALS, new String[] {user, System.getenv("JMX_PASSWORD")});
        try (JMXConnector connector = JMXConnectorFactory.connect(url, environment)) {
            MBeanServerConnection server = connector.getMBeanServerConnection();
            int count = server.queryNames(new ObjectName("kafka.server:*"), null).size();
            System.out.println("kafka.server MBeans: " + count);
            try {
                server.setAttribute(new ObjectName("java.lang:type=Memory"), new Attribute("Verbose", false));
                System.out.println("write: allowed");
            } catch (SecurityException e) {
                System.out.println("write: refused");
            }
        } catch (SecurityException e) {
            System.out.println("connection refused: " + e.getMessage());
            System.exit(2);
        }
    }
}
