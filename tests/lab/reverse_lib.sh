# shellcheck shell=bash
# Three nginx servers for the reverse-proxy labs (sourced after lib.sh and
# lab_up): s1..s3 on ORIGIN_NET.21-.23, extra addresses of the origin's
# eth0, each with its own config, pid and logs in the lab state dir and
# stopped by PID.  Each serves "/" naming itself, /hdr echoing the
# forwarding fields it got, /c with max-age=300, /slow after 2 s.  The
# caller sets its EXIT trap to run cleanup_servers before lab_cleanup.

NET=${ORIGIN_IP%.*}
SRV_IPS=("$NET.21" "$NET.22" "$NET.23")
declare -A NGX_PID=()

cleanup_servers() {
	local i
	for i in 0 1 2; do
		[[ -n ${NGX_PID[$i]:-} ]] && kill -TERM "${NGX_PID[$i]}" 2>/dev/null || true
	done
}
# start_server I: nginx s<I+1> on SRV_IPS[I]:80.
start_server() {
	local i=$1 dir=$STATE_DIR/s$(($1 + 1)) name=s$(($1 + 1)) echo_mod
	echo_mod=/usr/lib/nginx/modules/ngx_http_echo_module.so
	mkdir -p "$dir/tmp"
	local load="" slow='return 200 "slow\n";'
	if [[ -r $echo_mod ]]; then
		load="load_module $echo_mod;"
		slow='echo_sleep 2; echo "slow";'
	fi
	# shellcheck disable=SC2016 # nginx variables
	cat >"$dir/nginx.conf" <<EOF
$load
daemon on;
master_process off;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 1024; }
http {
    access_log $dir/access.log;
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    keepalive_requests 100000;
    server {
        listen ${SRV_IPS[$i]}:80;
        location / { return 200 "$name\n"; }
        location /hdr {
            return 200 "xff=\$http_x_forwarded_for xfp=\$http_x_forwarded_proto fwd=\$http_forwarded host=\$host\n";
        }
        location /c {
            add_header Cache-Control "max-age=300";
            return 200 "cached-$name\n";
        }
        location /slow { $slow }
    }
}
EOF
	rm -f "$dir/nginx.pid"
	in_origin nginx -q -p "$dir/" -e "$dir/error.log" -c "$dir/nginx.conf" 9>&- ||
		fail "nginx $name did not start"
	local k
	for ((k = 0; k < 50; k++)); do
		[[ -s $dir/nginx.pid ]] && break
		sleep 0.1
	done
	NGX_PID[$i]=$(cat "$dir/nginx.pid")
	pid_alive "${NGX_PID[$i]}" || fail "nginx $name is not running"
}

# stop_server I: graceful stop (QUIT: in-flight requests finish).
stop_server() {
	local i=$1 k
	kill -QUIT "${NGX_PID[$i]}" 2>/dev/null || true
	for ((k = 0; k < 50; k++)); do
		pid_alive "${NGX_PID[$i]}" || break
		sleep 0.1
	done
	NGX_PID[$i]=""
}

# servers_up: the three addresses on the origin's eth0, a server on each.
servers_up() {
	local i
	for i in 0 1 2; do
		ip -n "$ORIGIN_NS" addr add "${SRV_IPS[$i]}/24" dev eth0
		start_server "$i"
	done
}

