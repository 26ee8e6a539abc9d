"""TCP proxies a test controls: the network between us and a dependency, made to fail."""

from __future__ import annotations

import contextlib
import socket
import threading


def _close(*sockets: socket.socket) -> None:
    for sock in sockets:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()


class _Proxy:
    """Forwards 127.0.0.1:<port> to `target`, a thread per direction; subclasses decide what
    happens to a new connection pair (`_connected`)."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = self._free_port()
        self._lock = threading.Lock()
        self._listener: socket.socket | None = None

    @staticmethod
    def _free_port() -> int:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return sock.getsockname()[1]

    def start(self):
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            self._connected(client, upstream)

    def _connected(self, client: socket.socket, upstream: socket.socket) -> None:
        for source, sink in ((client, upstream), (upstream, client)):
            self._spawn(self._pump, source, sink)

    @staticmethod
    def _spawn(target, *args) -> None:
        threading.Thread(target=target, args=args, daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            _close(source, sink)

    def _stop_listening(self) -> None:
        if self._listener is not None:
            # close() alone does not wake a thread blocked in accept(); shutdown() does.
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None

    def stop(self) -> None:
        self._stop_listening()


class CuttableProxy(_Proxy):
    """`cut()` drops every connection and refuses new ones (the dependency "goes away");
    `restore()` accepts again on the same port."""

    def __init__(self, target: tuple[str, int]):
        super().__init__(target)
        self._sockets: set[socket.socket] = set()

    def _connected(self, client: socket.socket, upstream: socket.socket) -> None:
        with self._lock:
            self._sockets |= {client, upstream}
        super()._connected(client, upstream)

    def cut(self) -> None:
        self._stop_listening()
        with self._lock:
            sockets, self._sockets = self._sockets, set()
        _close(*sockets)

    def restore(self) -> None:
        self.start()

    def stop(self) -> None:
        self.cut()


class ResponseDroppingProxy(_Proxy):
    """For the next `drop_next()` connections it loses the answer: the request reaches the
    server whole, the proxy waits until the server starts to answer (the work is done and
    committed) and then closes the client's connection without passing a byte on. The client
    sees a dropped connection and cannot know what happened."""

    def __init__(self, target: tuple[str, int]):
        super().__init__(target)
        self._drop = 0
        self.dropped = 0

    def drop_next(self, count: int = 1) -> None:
        with self._lock:
            self._drop += count

    def _connected(self, client: socket.socket, upstream: socket.socket) -> None:
        with self._lock:
            drop, self._drop = self._drop > 0, max(self._drop - 1, 0)
        self._spawn(self._pump, client, upstream)
        self._spawn(self._swallow if drop else self._pump, upstream, client)

    def _swallow(self, upstream: socket.socket, client: socket.socket) -> None:
        """Wait for the first byte of the answer, then hang up on both sides."""
        try:
            upstream.recv(1)
        except OSError:
            pass
        finally:
            with self._lock:
                self.dropped += 1
            _close(client, upstream)
