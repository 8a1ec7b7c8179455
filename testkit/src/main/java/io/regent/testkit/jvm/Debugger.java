package io.regent.testkit.jvm;

import com.sun.jdi.Bootstrap;
import com.sun.jdi.Location;
import com.sun.jdi.Method;
import com.sun.jdi.ReferenceType;
import com.sun.jdi.VirtualMachine;
import com.sun.jdi.connect.AttachingConnector;
import com.sun.jdi.connect.Connector;
import com.sun.jdi.event.BreakpointEvent;
import com.sun.jdi.event.ClassPrepareEvent;
import com.sun.jdi.event.Event;
import com.sun.jdi.event.EventSet;
import com.sun.jdi.event.VMDisconnectEvent;
import com.sun.jdi.request.BreakpointRequest;
import com.sun.jdi.request.ClassPrepareRequest;
import com.sun.jdi.request.EventRequest;
import io.regent.testkit.TestkitException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Stops a service started with a debug port ({@code QuarkusService#debugPort()}) at an exact point of
 * its code, through the JDK's own debugger interface (JDI) - no test hook in production code. The whole
 * JVM is suspended when the first thread enters the method (its Kafka heartbeat included, so it loses
 * its partitions after the session timeout, exactly like a paused process); {@link Pause#resume()} lets
 * it run on from there. Closing detaches and resumes everything.
 */
public final class Debugger implements AutoCloseable {

    private final VirtualMachine vm;
    private final Thread events;
    private volatile Pause pause;

    private Debugger(VirtualMachine vm) {
        this.vm = vm;
        this.events = new Thread(this::dispatch, "jdi-events");
        this.events.setDaemon(true);
        this.events.start();
    }

    /** Attaches to the JVM listening for a debugger on 127.0.0.1:{@code port}. */
    public static Debugger attach(int port) {
        AttachingConnector connector = Bootstrap.virtualMachineManager().attachingConnectors().stream()
                .filter(c -> c.name().equals("com.sun.jdi.SocketAttach")).findFirst()
                .orElseThrow(() -> new TestkitException("this JDK has no socket-attaching debugger connector"));
        Map<String, Connector.Argument> arguments = connector.defaultArguments();
        arguments.get("hostname").setValue("127.0.0.1");
        arguments.get("port").setValue(Integer.toString(port));
        arguments.get("timeout").setValue("10000");
        try {
            return new Debugger(connector.attach(arguments));
        } catch (Exception e) {
            throw new TestkitException("could not attach a debugger to 127.0.0.1:" + port, e);
        }
    }

    /** Where the JVM (or one thread of it) stopped. */
    public final class Pause {
        private final String where;
        private final boolean wholeVm;
        private final CountDownLatch hit = new CountDownLatch(1);
        private volatile String thread;
        private volatile com.sun.jdi.ThreadReference threadReference;

        private Pause(String where, boolean wholeVm) {
            this.where = where;
            this.wholeVm = wholeVm;
        }

        /** True once a thread entered the method and the JVM is suspended there. */
        public boolean awaitHit(Duration timeout) {
            try {
                return hit.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }

        /** The thread that entered it. */
        public String thread() {
            return thread;
        }

        /** Lets the JVM (or the thread) run on from the point it stopped at; the breakpoint is gone. */
        public void resume() {
            vm.eventRequestManager().deleteAllBreakpoints();
            if (wholeVm) {
                vm.resume();
            } else if (threadReference != null) {
                threadReference.resume();
            }
        }

        @Override
        public String toString() {
            return where + (thread == null ? "" : " (thread " + thread + ")");
        }
    }

    /**
     * Suspends the whole JVM the first time a thread enters {@code className.methodName} (its first
     * overload by that name), now or once the class is loaded.
     */
    public Pause pauseAt(String className, String methodName) {
        return pause(className, methodName, true);
    }

    /**
     * Suspends only the thread that first enters {@code className.methodName}: the rest of the JVM runs on
     * (its other work, its Kafka heartbeat) - a worker stalled at one point of its operation.
     */
    public Pause pauseThreadAt(String className, String methodName) {
        return pause(className, methodName, false);
    }

    private Pause pause(String className, String methodName, boolean wholeVm) {
        Pause next = new Pause(className + "." + methodName, wholeVm);
        pause = next;
        List<ReferenceType> loaded = vm.classesByName(className);
        if (loaded.isEmpty()) {
            ClassPrepareRequest prepare = vm.eventRequestManager().createClassPrepareRequest();
            prepare.addClassFilter(className);
            prepare.putProperty("method", methodName);
            prepare.putProperty("wholeVm", wholeVm);
            prepare.setSuspendPolicy(EventRequest.SUSPEND_EVENT_THREAD);
            prepare.enable();
        } else {
            breakAt(loaded.get(0), methodName, wholeVm);
        }
        return next;
    }

    private void breakAt(ReferenceType type, String methodName, boolean wholeVm) {
        List<Method> methods = type.methodsByName(methodName);
        if (methods.isEmpty()) {
            throw new TestkitException(type.name() + " has no method " + methodName);
        }
        Location location = methods.get(0).location();
        BreakpointRequest request = vm.eventRequestManager().createBreakpointRequest(location);
        request.setSuspendPolicy(wholeVm ? EventRequest.SUSPEND_ALL : EventRequest.SUSPEND_EVENT_THREAD);
        request.addCountFilter(1);
        request.enable();
    }

    private void dispatch() {
        try {
            while (true) {
                EventSet set = vm.eventQueue().remove();
                boolean stay = false;
                for (Event event : set) {
                    if (event instanceof ClassPrepareEvent prepared) {
                        breakAt(prepared.referenceType(), (String) prepared.request().getProperty("method"),
                                (Boolean) prepared.request().getProperty("wholeVm"));
                        prepared.request().disable();
                    } else if (event instanceof BreakpointEvent breakpoint && pause != null) {
                        pause.thread = breakpoint.thread().name();
                        pause.threadReference = breakpoint.thread();
                        pause.hit.countDown();
                        stay = true; // suspended until the test resumes it
                    } else if (event instanceof VMDisconnectEvent) {
                        return;
                    }
                }
                if (!stay) {
                    set.resume();
                }
            }
        } catch (InterruptedException | com.sun.jdi.VMDisconnectedException e) {
            // detached
        }
    }

    /** Detaches: every breakpoint goes and the JVM runs on. */
    @Override
    public void close() {
        try {
            vm.dispose();
        } catch (com.sun.jdi.VMDisconnectedException e) {
            // already gone (the process was killed)
        }
        events.interrupt();
    }
}
