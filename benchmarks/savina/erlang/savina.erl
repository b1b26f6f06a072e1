%% benchmarks/savina/erlang/savina.erl: the Savina programs of benchmarks/savina/*.ts in
%% Erlang/OTP, the same programs message for message, for the same-run comparison.
%%
%% `erl -noshell -pa DIR -s savina main` reads one command a line on stdin
%% ("pingpong 40000", "big 120 20000", ...), runs the program, and answers
%% "result NAME MICROSECONDS ok|fail DETAIL". Time is taken inside the runtime after set-up,
%% as in the procmesh version: the kick-off process stamps the start when it handles `go`, the
%% process that sees the result stamps the end (erlang:monotonic_time, one clock per node).
-module(savina).
-export([main/0]).

main() ->
    io:format("ready ~b~n", [erlang:system_info(schedulers_online)]),
    loop().

loop() ->
    case io:get_line("") of
        eof -> halt(0);
        {error, _} -> halt(1);
        Line ->
            [Name | Args] = string:tokens(string:trim(Line), " "),
            Ints = [list_to_integer(A) || A <- Args],
            {Us, Ok, Detail} = run(list_to_atom(Name), Ints),
            io:format("result ~s ~b ~s ~s~n", [Name, Us, case Ok of true -> "ok"; false -> "fail" end, Detail]),
            loop()
    end.

now_us() -> erlang:monotonic_time(microsecond).

%% Wait for one start and one done per kick-off: {elapsed us, all ok, detail}.
collect(K) -> collect(K, [], [], []).
collect(0, Starts, Ends, Details) ->
    {lists:max(Ends) - lists:min(Starts), lists:all(fun({Ok, _}) -> Ok end, Details),
     string:join([D || {_, D} <- Details], ";")};
collect(K, Starts, Ends, Details) ->
    receive
        {started, T} -> collect(K, [T | Starts], Ends, Details);
        {done, T, Ok, D} -> collect(K - 1, Starts, [T | Ends], [{Ok, D} | Details])
    end.

%% Savina's performComputation(theta).
compute(Theta) ->
    S = math:sin(Theta),
    case S * S =< 0 of true -> error(unrealistic); false -> ok end.

lcg(X) -> (X * 1103515245 + 12345) band 16#7fffffff.

sync(Pid, Msg) -> Pid ! {Msg, self()}, receive {ready, Pid} -> ok end.

%% ---- pingpong ------------------------------------------------------------------------------
run(pingpong, [N]) ->
    Main = self(),
    Pong = spawn(fun() -> receive {{peer, P}, From} -> From ! {ready, self()}, pong(P) end end),
    Ping = spawn(fun() -> receive {{peer, P}, From} -> From ! {ready, self()}, ping_wait(P, N, Main) end end),
    sync(Pong, {peer, Ping}), sync(Ping, {peer, Pong}),
    Ping ! go,
    collect(1);

%% ---- count ---------------------------------------------------------------------------------
run(count, [N]) ->
    Main = self(),
    Counter = spawn(fun() -> counter(0) end),
    Producer = spawn(fun() -> receive go -> producer(Counter, N, Main) end end),
    Producer ! go,
    collect(1);

%% ---- threadring ----------------------------------------------------------------------------
run(threadring, [A, R]) ->
    Main = self(),
    Ring = [spawn(fun() -> receive {{next, Next}, From} -> From ! {ready, self()}, ring(I, A, R, Next, Main) end end) || I <- lists:seq(0, A - 1)],
    Nexts = tl(Ring) ++ [hd(Ring)],
    [sync(P, {next, Nx}) || {P, Nx} <- lists:zip(Ring, Nexts)],
    hd(Ring) ! go,
    collect(1);

%% ---- chameneos -----------------------------------------------------------------------------
run(chameneos, [C, M]) ->
    Main = self(),
    Mall = spawn(fun() -> receive {{peers, T}, From} -> From ! {ready, self()}, mall(T, M, M, -1, 0, 0, Main) end end),
    Chams = [spawn(fun() -> receive {{peers, T}, From} -> From ! {ready, self()}, cham(I, I rem 3, 0, Mall, T) end end) || I <- lists:seq(0, C - 1)],
    T = list_to_tuple(Chams),
    sync(Mall, {peers, T}),
    [sync(P, {peers, T}) || P <- Chams],
    Mall ! go,
    collect(1);

%% ---- big -----------------------------------------------------------------------------------
run(big, [W, N]) ->
    Main = self(),
    Sink = spawn(fun() -> receive {{peers, T}, From} -> From ! {ready, self()}, sink(T, W, 0, 0, Main) end end),
    Actors = [spawn(fun() -> receive {{peers, T}, From} -> From ! {ready, self()}, big(I, N, 0, -1, 0, I + 1, T, Sink) end end) || I <- lists:seq(0, W - 1)],
    T = list_to_tuple(Actors),
    sync(Sink, {peers, T}),
    [sync(P, {peers, T}) || P <- Actors],
    Sink ! go,
    collect(1);

%% ---- fjthrput ------------------------------------------------------------------------------
run(fjthrput, [A, N]) ->
    Main = self(),
    Driver = spawn(fun() -> receive {{peers, Ps}, From} -> From ! {ready, self()}, driver(Ps, N, 0, 0, Main) end end),
    Actors = [spawn(fun() -> thrput(Driver, N, 0) end) || _ <- lists:seq(1, A)],
    sync(Driver, {peers, Actors}),
    Driver ! go,
    collect(1);

%% ---- fjcreate ------------------------------------------------------------------------------
run(fjcreate, [N]) ->
    Main = self(),
    Spawner = spawn(fun() -> receive go -> Main ! {started, now_us()}, spawner(N), fjwait(N, 0, 0, Main) end end),
    Spawner ! go,
    collect(1).

%% ---- the processes -------------------------------------------------------------------------
pong(Ping) -> receive ping -> Ping ! pong, pong(Ping); stop -> ok end.

ping_wait(Pong, N, Main) ->
    receive go -> Main ! {started, now_us()}, Pong ! ping, ping(Pong, N - 1, 0, N, Main) end.
ping(Pong, Left, Pongs, N, Main) ->
    receive
        pong when Left > 0 -> Pong ! ping, ping(Pong, Left - 1, Pongs + 1, N, Main);
        pong -> Main ! {done, now_us(), Pongs + 1 =:= N, io_lib:format("~b pongs", [Pongs + 1])}, Pong ! stop
    end.

counter(C) -> receive inc -> counter(C + 1); {get, From} -> From ! {total, C} end.
producer(Counter, N, Main) ->
    Main ! {started, now_us()},
    send_n(Counter, inc, N),
    Counter ! {get, self()},
    receive {total, T} -> Main ! {done, now_us(), T =:= N, io_lib:format("total ~b", [T])} end.
send_n(_, _, 0) -> ok;
send_n(P, M, K) -> P ! M, send_n(P, M, K - 1).

ring(I, A, R, Next, Main) ->
    receive
        go -> Main ! {started, now_us()}, Next ! {token, R - 1}, ring(I, A, R, Next, Main);
        {token, 0} ->
            Main ! {done, now_us(), I =:= R rem A, io_lib:format("ended at actor ~b", [I])},
            Next ! {exit, A - 2};
        {token, L} -> Next ! {token, L - 1}, ring(I, A, R, Next, Main);
        {exit, 0} -> ok;
        {exit, L} -> Next ! {exit, L - 1}
    end.

complement(A, A) -> A;
complement(A, B) -> 3 - A - B.

mall(T, Total, Left, Waiting, Faded, Sum, Main) ->
    receive
        go -> Main ! {started, now_us()}, [P ! start || P <- tuple_to_list(T)], mall(T, Total, Left, Waiting, Faded, Sum, Main);
        {meet, _, Id} when Left > 0, Waiting < 0 -> mall(T, Total, Left, Id, Faded, Sum, Main);
        {meet, Color, Id} when Left > 0 -> element(Waiting + 1, T) ! {meet, Color, Id}, mall(T, Total, Left - 1, -1, Faded, Sum, Main);
        {meet, _, Id} -> element(Id + 1, T) ! exit, mall(T, Total, Left, Waiting, Faded, Sum, Main);
        {count, K} when Faded + 1 =:= tuple_size(T) ->
            Main ! {done, now_us(), Sum + K =:= 2 * Total, io_lib:format("~b meetings", [Sum + K])};
        {count, K} -> mall(T, Total, Left, Waiting, Faded + 1, Sum + K, Main)
    end.

cham(Id, Color, Meetings, Mall, T) ->
    receive
        start -> Mall ! {meet, Color, Id}, cham(Id, Color, Meetings, Mall, T);
        {meet, Other, From} ->
            C = complement(Color, Other),
            element(From + 1, T) ! {change, C},
            Mall ! {meet, C, Id},
            cham(Id, C, Meetings + 1, Mall, T);
        {change, C} -> Mall ! {meet, C, Id}, cham(Id, C, Meetings + 1, Mall, T);
        exit -> Mall ! {count, Meetings}
    end.

big(Id, N, Sent, Expected, Errors, Random, T, Sink) ->
    receive
        {ping, From} -> element(From + 1, T) ! {pong, Id}, big(Id, N, Sent, Expected, Errors, Random, T, Sink);
        {pong, From} ->
            E = case From =:= Expected of true -> Errors; false -> Errors + 1 end,
            case Sent =:= N of
                true -> Sink ! {finished, E}, big(Id, N, Sent, Expected, E, Random, T, Sink);
                false ->
                    R = lcg(Random),
                    Target = R rem tuple_size(T),
                    element(Target + 1, T) ! {ping, Id},
                    big(Id, N, Sent + 1, Target, E, R, T, Sink)
            end;
        exit -> ok
    end.

sink(T, W, Finished, Errors, Main) ->
    receive
        go -> Main ! {started, now_us()}, [P ! {pong, -1} || P <- tuple_to_list(T)], sink(T, W, Finished, Errors, Main);
        {finished, E} when Finished + 1 =:= W ->
            Main ! {done, now_us(), Errors + E =:= 0, io_lib:format("~b finished, ~b wrong pongs", [W, Errors + E])},
            [P ! exit || P <- tuple_to_list(T)];
        {finished, E} -> sink(T, W, Finished + 1, Errors + E, Main)
    end.

thrput(Driver, N, Handled) ->
    receive
        work when Handled + 1 =:= N -> compute(37.2), Driver ! {finished, N};
        work -> compute(37.2), thrput(Driver, N, Handled + 1)
    end.

driver(Ps, N, Finished, Handled, Main) ->
    receive
        go -> Main ! {started, now_us()}, drive(Ps, N), driver(Ps, N, Finished, Handled, Main);
        {finished, H} when Finished + 1 =:= length(Ps) ->
            Total = Handled + H,
            Main ! {done, now_us(), Total =:= N * length(Ps), io_lib:format("~b handled", [Total])};
        {finished, H} -> driver(Ps, N, Finished + 1, Handled + H, Main)
    end.
drive(_, 0) -> ok;
drive(Ps, K) -> [P ! work || P <- Ps], drive(Ps, K - 1).

spawner(0) -> ok;
spawner(K) ->
    {Pid, _} = spawn_monitor(fun() -> receive work -> compute(37.2) end end),
    Pid ! work,
    spawner(K - 1).
fjwait(N, N, Failed, Main) -> Main ! {done, now_us(), Failed =:= 0, io_lib:format("~b stopped, ~b failed", [N, Failed])};
fjwait(N, Stopped, Failed, Main) ->
    receive {'DOWN', _, process, _, Reason} -> fjwait(N, Stopped + 1, case Reason of normal -> Failed; _ -> Failed + 1 end, Main) end.
